package dev.jdd.router;

import java.util.List;
import java.util.Optional;

/** Where a pod runs and which containers it has, for targets whose alert did not say. */
public interface PodLookup {

    /** Empty when the API does not know the pod. @throws RuntimeException when the API cannot be asked */
    Optional<PodPlace> find(String namespace, String pod);

    /** {@code node} is null while the pod is not scheduled. */
    record PodPlace(String node, List<String> containers) {
    }
}
