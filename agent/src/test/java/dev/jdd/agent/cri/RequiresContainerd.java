package dev.jdd.agent.cri;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs the test class only when a private containerd with its CRI plugin can start here ({@link PrivateContainerd},
 * one per test JVM, shared by the classes); skips it with a visible reason otherwise, and fails it instead when
 * {@code JDD_REQUIRE_DOCKER=1} (as {@code .ci/run} sets), like {@link dev.jdd.testing.RequiresDocker}.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequiresContainerd.Condition.class)
public @interface RequiresContainerd {

    final class Condition implements ExecutionCondition {
        private static PrivateContainerd.Result shared;

        /** The one private containerd of this test JVM, started on first use and stopped when the JVM exits. */
        static synchronized PrivateContainerd.Result shared() {
            if (shared == null) {
                shared = PrivateContainerd.start();
                if (shared.containerd() != null) {
                    PrivateContainerd c = shared.containerd();
                    Runtime.getRuntime().addShutdownHook(new Thread(c::close));
                }
            }
            return shared;
        }

        /** The shared containerd; only for classes this condition let run. */
        static PrivateContainerd containerd() {
            return shared().containerd();
        }

        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            PrivateContainerd.Result r = shared();
            if (r.containerd() != null) {
                return ConditionEvaluationResult.enabled("private containerd at " + r.containerd().endpoint());
            }
            if ("1".equals(System.getenv("JDD_REQUIRE_DOCKER"))) {
                throw new IllegalStateException("JDD_REQUIRE_DOCKER=1 but " + r.problem());
            }
            System.err.println("SKIPPED (no containerd): " + context.getDisplayName() + ": " + r.problem());
            return ConditionEvaluationResult.disabled("no containerd: " + r.problem());
        }
    }
}
