package dev.jdd.common;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Checks, before anything starts, that the HTTP port can be bound. Helidon reports a port in use as a logged stack
 * trace and a stopped server; checking first turns it into the one line and exit code 2 of any other bad option.
 */
public final class FreePort {
    private FreePort() {
    }

    /**
     * @param form how the user gave the port ({@code --port} or {@code JDD_PORT}), for the message
     * @throws ConfigException when {@code host:port} is taken or not an address of this host
     */
    public static void require(String host, int port, String form) {
        if (port == 0) {
            return;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(InetAddress.getByName(host), port));
        } catch (BindException e) {
            throw new ConfigException(form + "=" + port + ": cannot listen on " + host + ":" + port + " ("
                    + e.getMessage() + "); stop what uses it or choose another port with " + form);
        } catch (IOException e) {
            throw new ConfigException("cannot listen on " + host + ":" + port + ": " + e);
        }
    }
}
