package dev.jdd.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.timeout;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.jdd.agent.runtime.ContainerRuntime;
import dev.jdd.agent.runtime.RuntimeUnavailableException;
import dev.jdd.agent.runtime.Target;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.mockito.Mock;
import org.mockito.junit.jupiter.MockitoExtension;

/** Folders that could not be removed from a container are tried again until removed, the container is gone, or N tries. */
@ExtendWith(MockitoExtension.class)
class LeftoverFoldersTest {
    private static final Target TARGET = new Target("c0ffee", "web-api", 4242);
    private static final String FOLDER = "/tmp/.jdd-0123456789abcdef";
    private static final Capture CAPTURE = new Capture("0123456789abcdef", "shop", "web", "api", null, null, Instant.now());

    @Mock
    ContainerRuntime runtime;

    private LeftoverFolders leftovers(int tries) {
        LeftoverFolders leftovers = new LeftoverFolders(runtime, Duration.ofHours(1), tries);
        leftovers.add(CAPTURE, TARGET, FOLDER, "capture=test ");
        return leftovers;
    }

    @Test
    void aRemovalThatFailsIsTriedAgainUntilItWorks() {
        when(runtime.find("shop", "web", "api"))
                .thenThrow(new RuntimeUnavailableException("dockerd did not answer"))
                .thenReturn(Optional.of(TARGET));
        when(runtime.removeFolder(TARGET, FOLDER)).thenReturn(false, true);
        try (LeftoverFolders leftovers = leftovers(5)) {
            leftovers.retry(); // the runtime still stalls
            assertEquals(1, leftovers.size());
            leftovers.retry(); // it answers, but the removal fails
            assertEquals(1, leftovers.size());
            leftovers.retry();
            assertEquals(0, leftovers.size());
            leftovers.retry();
        }
        verify(runtime, times(2)).removeFolder(TARGET, FOLDER);
    }

    @Test
    void aContainerThatIsGoneTakesItsFolderWithIt() {
        when(runtime.find("shop", "web", "api")).thenReturn(Optional.empty());
        try (LeftoverFolders leftovers = leftovers(5)) {
            leftovers.retry();
            assertEquals(0, leftovers.size());
        }
        verify(runtime, never()).removeFolder(any(), any());
    }

    @Test
    void aRestartedContainerIsAnotherFilesystem() {
        when(runtime.find("shop", "web", "api")).thenReturn(Optional.of(new Target("beef", "web-api", 4343)));
        try (LeftoverFolders leftovers = leftovers(5)) {
            leftovers.retry();
            assertEquals(0, leftovers.size());
        }
        verify(runtime, never()).removeFolder(any(), any());
    }

    @Test
    void aFolderIsGivenUpAfterItsTries() {
        when(runtime.find("shop", "web", "api")).thenReturn(Optional.of(TARGET));
        when(runtime.removeFolder(TARGET, FOLDER)).thenReturn(false);
        try (LeftoverFolders leftovers = leftovers(3)) {
            leftovers.retry();
            leftovers.retry();
            assertEquals(1, leftovers.size());
            leftovers.retry();
            assertEquals(0, leftovers.size());
            leftovers.retry();
        }
        verify(runtime, times(3)).removeFolder(TARGET, FOLDER);
    }

    @Test
    void theTimerTriesOnItsOwn() {
        when(runtime.find("shop", "web", "api")).thenReturn(Optional.of(TARGET));
        when(runtime.removeFolder(TARGET, FOLDER)).thenReturn(true);
        try (LeftoverFolders leftovers = new LeftoverFolders(runtime, Duration.ofMillis(50), 5)) {
            leftovers.add(CAPTURE, TARGET, FOLDER, "capture=test ");
            verify(runtime, timeout(5_000)).removeFolder(TARGET, FOLDER);
        }
    }
}
