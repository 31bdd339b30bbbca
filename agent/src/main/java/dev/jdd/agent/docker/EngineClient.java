package dev.jdd.agent.docker;

import dev.jdd.common.JsonValues;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The Docker Engine API over the node's socket: plain HTTP/1.1, one connection per call. The agent needs eight
 * engine calls; this speaks them without a client library, whose data-binding model and HTTP stack would double
 * the agent's resident memory (docs/docker.md, "Memory"). A fresh connection per call also means an engine restart
 * leaves nothing stale behind. Paths carry no API version, so any engine answers in its own current version.
 */
final class EngineClient {
    /** Larger answers are refused: a container list of a busy node is a few hundred KiB. */
    static final int MAX_ANSWER_BYTES = 16 * 1024 * 1024;
    private static final int MAX_HEADER_BYTES = 64 * 1024;

    /**
     * Closes connections whose time is up. Shared and never shut down, so that cleanup still has deadlines while the
     * agent stops; its one daemon thread ends after 10 s without work.
     */
    private static final ScheduledThreadPoolExecutor DEADLINES = deadlines();

    private final SocketAddress address;
    private final String description;

    /** @param host {@code unix:///path/to/docker.sock} or {@code tcp://host:port} (no TLS) */
    EngineClient(URI host) {
        String scheme = host.getScheme();
        if ("unix".equals(scheme) && host.getPath() != null && host.getPath().length() > 1) {
            address = UnixDomainSocketAddress.of(host.getPath());
        } else if ("tcp".equals(scheme) && host.getHost() != null && host.getPort() > 0) {
            address = InetSocketAddress.createUnresolved(host.getHost(), host.getPort());
        } else {
            throw new IllegalArgumentException("expected unix:///path/to/docker.sock or tcp://host:port");
        }
        description = host.toString();
    }

    private static ScheduledThreadPoolExecutor deadlines() {
        ScheduledThreadPoolExecutor executor =
                new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().name("jdd-docker-deadline").daemon().factory());
        executor.setRemoveOnCancelPolicy(true);
        executor.setKeepAliveTime(10, TimeUnit.SECONDS);
        executor.allowCoreThreadTimeOut(true);
        return executor;
    }

    /** The engine's answer to one call: its status and body. */
    record Answer(int status, byte[] body) {
        boolean ok() {
            return status >= 200 && status < 300;
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** The engine's own words from an error's {@code {"message":"..."}}, else the body's text. */
        String message() {
            try {
                if (JsonValues.read(body) instanceof Map<?, ?> error && error.get("message") instanceof String m) {
                    return m.strip();
                }
            } catch (IllegalArgumentException notJson) {
                // then the text is all there is
            }
            return text().strip();
        }
    }

    /**
     * One call that must be answered within {@code timeout}; the connection is closed when it is not.
     *
     * @param contentType of {@code body}, or null when there is none
     */
    Answer call(String method, String path, String contentType, byte[] body, Duration timeout) throws IOException {
        Connection c = connect();
        ScheduledFuture<?> deadline = DEADLINES.schedule(c::close, timeout.toMillis(), TimeUnit.MILLISECONDS);
        try {
            try {
                c.send(method, path, contentType, body, false);
            } catch (IOException e) {
                if (e instanceof ClosedChannelException) {
                    throw e;
                }
                // The engine may answer and close before it has read all of the body (an upload it refuses at
                // once, e.g. into a read-only root filesystem): then its answer is what counts, not the broken pipe.
                try {
                    return c.readAnswer();
                } catch (IOException noAnswer) {
                    e.addSuppressed(noAnswer);
                    throw e;
                }
            }
            return c.readAnswer();
        } catch (ClosedChannelException e) {
            throw timedOutOr(e, deadline, timeout);
        } finally {
            deadline.cancel(false);
            c.close();
        }
    }

    /**
     * Starts a call whose connection the engine takes over for a raw stream ({@code POST /exec/{id}/start}): the
     * returned connection is open after the engine's {@code 101}, for the caller to write stdin to and read the
     * stream from. An answer with any other status is returned as {@link Refused}. The engine must answer within
     * {@code timeout}; the stream itself has no timeout: the caller bounds it and closes the connection.
     */
    Connection upgrade(String path, byte[] json, Duration timeout) throws IOException, Refused {
        Connection c = connect();
        ScheduledFuture<?> deadline = DEADLINES.schedule(c::close, timeout.toMillis(), TimeUnit.MILLISECONDS);
        try {
            c.send("POST", path, "application/json", json, true);
            Head head = c.readHead();
            // Engines before API 1.22 answered 200 with the raw stream instead of 101.
            boolean upgraded = head.status == 101 || (head.status == 200 && head.contentLength < 0 && !head.chunked);
            byte[] refusal = upgraded ? null : c.readBody(head);
            if (!deadline.cancel(false)) {
                throw noAnswer(timeout, null);
            }
            if (upgraded) {
                return c;
            }
            throw new Refused(new Answer(head.status, refusal));
        } catch (ClosedChannelException e) {
            c.close();
            throw timedOutOr(e, deadline, timeout);
        } catch (IOException | Refused | RuntimeException e) {
            deadline.cancel(false);
            c.close();
            throw e;
        }
    }

    /** A channel closed under a call: by its deadline (a timeout), else by an interrupt or the caller. */
    private static IOException timedOutOr(ClosedChannelException e, ScheduledFuture<?> deadline, Duration timeout) {
        return e instanceof ClosedByInterruptException || !deadline.isDone() ? e : noAnswer(timeout, e);
    }

    private static IOException noAnswer(Duration timeout, Throwable cause) {
        return new IOException("no answer within " + timeout.toSeconds() + " s", cause);
    }

    /** The engine answered an upgrade with an error instead of a stream. */
    static final class Refused extends Exception {
        final Answer answer;

        Refused(Answer answer) {
            super("engine answered " + answer.status + ": " + answer.text().strip(), null, false, false);
            this.answer = answer;
        }
    }

    private Connection connect() throws IOException {
        SocketAddress target = address;
        if (address instanceof InetSocketAddress inet && inet.isUnresolved()) {
            target = new InetSocketAddress(inet.getHostString(), inet.getPort());
        }
        SocketChannel channel = target instanceof UnixDomainSocketAddress
                ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
        ScheduledFuture<?> deadline = DEADLINES.schedule(() -> closeQuietly(channel), 5, TimeUnit.SECONDS);
        try {
            channel.connect(target);
        } catch (ClosedChannelException e) {
            if (e instanceof ClosedByInterruptException) {
                throw e;
            }
            throw new IOException("could not connect to " + description + " within 5 s", e);
        } catch (IOException e) {
            closeQuietly(channel);
            throw e;
        } finally {
            deadline.cancel(false);
        }
        return new Connection(channel);
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing is all that is left to do
        }
    }

    private record Head(int status, long contentLength, boolean chunked) {
    }

    /**
     * One connection to the engine. Reads and writes go straight to the channel (not through
     * {@code Channels.newInputStream}, which would let a blocked read hold up a write of stdin on another thread).
     */
    static final class Connection implements AutoCloseable {
        private final SocketChannel channel;
        private final InputStream in;

        private Connection(SocketChannel channel) {
            this.channel = channel;
            this.in = new BufferedInputStream(new InputStream() {
                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    return len == 0 ? 0 : channel.read(ByteBuffer.wrap(b, off, len)); // blocking: never 0 otherwise
                }
            }, 16 * 1024);
        }

        private void send(String method, String path, String contentType, byte[] body, boolean upgrade) throws IOException {
            StringBuilder head = new StringBuilder(256).append(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                    .append("Host: docker\r\nUser-Agent: jdd-agent\r\n")
                    .append(upgrade ? "Connection: Upgrade\r\nUpgrade: tcp\r\n" : "Connection: close\r\n");
            if (body != null) {
                head.append("Content-Type: ").append(contentType).append("\r\nContent-Length: ").append(body.length).append("\r\n");
            }
            write(head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
            if (body != null) {
                write(body);
            }
        }

        /** Writes all of {@code bytes} (stdin of an exec, or a request). */
        void write(byte[] bytes) throws IOException {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        }

        /** Tells the engine that no more stdin comes: the exec's stdin reaches end-of-file. */
        void endInput() throws IOException {
            channel.shutdownOutput();
        }

        /** The raw stream after an upgrade. */
        InputStream stream() {
            return in;
        }

        private Answer readAnswer() throws IOException {
            Head head = readHead();
            return new Answer(head.status, readBody(head));
        }

        private Head readHead() throws IOException {
            String statusLine = line();
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP answer: " + abbreviate(statusLine));
            }
            int status;
            try {
                status = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                throw new IOException("not an HTTP status: " + abbreviate(statusLine), e);
            }
            long contentLength = -1;
            boolean chunked = false;
            int headerBytes = statusLine.length();
            for (String header = line(); !header.isEmpty(); header = line()) {
                headerBytes += header.length();
                if (headerBytes > MAX_HEADER_BYTES) {
                    throw new IOException("the engine's answer headers are over " + MAX_HEADER_BYTES + " bytes");
                }
                int colon = header.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = header.substring(colon + 1).trim();
                if (name.equals("content-length")) {
                    try {
                        contentLength = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        throw new IOException("bad Content-Length: " + abbreviate(value), e);
                    }
                } else if (name.equals("transfer-encoding")) {
                    chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                }
            }
            return new Head(status, contentLength, chunked);
        }

        private byte[] readBody(Head head) throws IOException {
            if (head.status == 204 || head.status == 304 || head.status == 101) {
                return new byte[0];
            }
            if (head.chunked) {
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                while (true) {
                    String size = line();
                    int semicolon = size.indexOf(';');
                    long n;
                    try {
                        n = Long.parseLong((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
                    } catch (NumberFormatException e) {
                        throw new IOException("bad chunk size: " + abbreviate(size), e);
                    }
                    if (n == 0) {
                        while (!line().isEmpty()) {
                            // trailers: none that matter
                        }
                        return body.toByteArray();
                    }
                    if (n > MAX_ANSWER_BYTES - body.size()) {
                        throw tooLarge();
                    }
                    body.write(exactly((int) n));
                    line();
                }
            }
            if (head.contentLength >= 0) {
                if (head.contentLength > MAX_ANSWER_BYTES) {
                    throw tooLarge();
                }
                return exactly((int) head.contentLength);
            }
            byte[] all = in.readNBytes(MAX_ANSWER_BYTES + 1); // Connection: close, so the body ends with the stream
            if (all.length > MAX_ANSWER_BYTES) {
                throw tooLarge();
            }
            return all;
        }

        private static IOException tooLarge() {
            return new IOException("the engine's answer is over " + MAX_ANSWER_BYTES + " bytes");
        }

        private byte[] exactly(int n) throws IOException {
            byte[] bytes = in.readNBytes(n);
            if (bytes.length < n) {
                throw new EOFException("the engine closed the connection in the middle of an answer");
            }
            return bytes;
        }

        /** One header line without its CRLF. */
        private String line() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream(64);
            while (true) {
                int b = in.read();
                if (b < 0) {
                    throw new EOFException(line.size() == 0 ? "the engine closed the connection without an answer"
                            : "the engine closed the connection in the middle of an answer");
                }
                if (b == '\n') {
                    String text = line.toString(StandardCharsets.ISO_8859_1);
                    return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
                }
                if (line.size() >= MAX_HEADER_BYTES) {
                    throw new IOException("an answer line of the engine is over " + MAX_HEADER_BYTES + " bytes");
                }
                line.write(b);
            }
        }

        private static String abbreviate(String s) {
            return s.length() <= 80 ? s : s.substring(0, 80) + "...";
        }

        @Override
        public void close() {
            closeQuietly(channel);
        }
    }
}
