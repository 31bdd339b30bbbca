package dev.jdd.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs the test class only when a Docker engine answers on {@code /var/run/docker.sock} (or
 * {@code DOCKER_HOST=unix://...}); skips it with a visible reason otherwise, and fails it instead when
 * {@code JDD_REQUIRE_DOCKER=1}.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(DockerCondition.class)
public @interface RequiresDocker {
}
