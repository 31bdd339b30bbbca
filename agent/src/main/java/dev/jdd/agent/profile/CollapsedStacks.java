package dev.jdd.agent.profile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Folds the CPU samples of a JFR recording into collapsed stacks, the text flame graph tools read: one line per
 * distinct stack, {@code root;caller;...;leaf count}, frames as {@code package.Class.method}, most samples first.
 * Samples of the CPU-time sampler ({@code jdk.CPUTimeSample}, JDK 25+) win over those of the execution sampler
 * when a recording has both (another recording in the JVM may have enabled the other one), so no CPU is counted
 * twice. A stack that JFR cut at its depth limit starts with the frame {@code [truncated]}.
 */
public final class CollapsedStacks {
    public static final String CPU_TIME_SAMPLE = "jdk.CPUTimeSample";
    public static final String EXECUTION_SAMPLE = "jdk.ExecutionSample";
    static final String TRUNCATED = "[truncated]";

    /** The folded text, how many samples it counts, and which sampler they came from (null when none). */
    public record Folded(String text, long samples, String sampler) {
        public byte[] bytes() {
            return text.getBytes(StandardCharsets.UTF_8);
        }
    }

    private CollapsedStacks() {
    }

    public static Folded fold(Path recording) throws IOException {
        Map<String, Long> cpuTime = new HashMap<>();
        Map<String, Long> execution = new HashMap<>();
        try (RecordingFile file = new RecordingFile(recording)) {
            while (file.hasMoreEvents()) {
                RecordedEvent event = file.readEvent();
                String type = event.getEventType().getName();
                Map<String, Long> into = type.equals(CPU_TIME_SAMPLE) ? cpuTime : type.equals(EXECUTION_SAMPLE) ? execution : null;
                RecordedStackTrace trace = into == null ? null : event.getStackTrace();
                if (trace != null && !trace.getFrames().isEmpty()) {
                    into.merge(stack(trace), 1L, Long::sum);
                }
            }
        }
        boolean cpu = !cpuTime.isEmpty();
        Map<String, Long> counts = cpu ? cpuTime : execution;
        return new Folded(render(counts), counts.values().stream().mapToLong(Long::longValue).sum(),
                cpu ? "cpu-time" : execution.isEmpty() ? null : "execution");
    }

    /** Root first: JFR lists the leaf first. */
    static String stack(RecordedStackTrace trace) {
        List<RecordedFrame> frames = trace.getFrames();
        StringBuilder out = new StringBuilder(frames.size() * 40);
        if (trace.isTruncated()) {
            out.append(TRUNCATED);
        }
        for (int i = frames.size() - 1; i >= 0; i--) {
            if (!out.isEmpty()) {
                out.append(';');
            }
            out.append(frame(frames.get(i)));
        }
        return out.toString();
    }

    static String frame(RecordedFrame frame) {
        RecordedMethod method = frame.getMethod();
        if (method == null) {
            return "[unknown]";
        }
        String type = method.getType() == null ? "[unknown]" : method.getType().getName();
        return clean(type + "." + method.getName());
    }

    /** Separators of the format (';' between frames, ' ' before the count) and line breaks cannot occur in a frame. */
    static String clean(String frame) {
        return frame.replace(';', '_').replace(' ', '_').replace('\n', '_').replace('\r', '_');
    }

    /** One line per stack, most samples first, then by the stack's text so that the output is stable. */
    static String render(Map<String, Long> counts) {
        List<Map.Entry<String, Long>> lines = new ArrayList<>(counts.entrySet());
        lines.sort(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
        StringBuilder out = new StringBuilder(lines.size() * 120);
        for (Map.Entry<String, Long> line : lines) {
            out.append(line.getKey()).append(' ').append(line.getValue()).append('\n');
        }
        return out.toString();
    }
}
