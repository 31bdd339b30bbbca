package dev.jdd.router;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** The fixtures under {@code src/test/resources/payloads}. */
final class Payloads {
    private Payloads() {
    }

    static byte[] read(String name) {
        try (InputStream in = Payloads.class.getResourceAsStream("/payloads/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
