import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * The footprint baseline: the least a JVM can do to be "ready" — listen on a port and answer every connection with
 * HTTP 200. bench/agent-footprint.sh measures the agent against this, with the same JVM flags.
 */
public final class Idle {
    public static void main(String[] args) throws IOException {
        byte[] ok = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII);
        try (ServerSocket server = new ServerSocket(Integer.parseInt(args[0]), 50, InetAddress.getLoopbackAddress())) {
            while (true) {
                try (Socket s = server.accept(); OutputStream out = s.getOutputStream()) {
                    s.getInputStream().read(new byte[1024]);
                    out.write(ok);
                }
            }
        }
    }
}
