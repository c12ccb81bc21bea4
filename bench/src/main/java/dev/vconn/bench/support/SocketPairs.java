package dev.vconn.bench.support;

import dev.vconn.inmemory.InMemoryNetwork;
import dev.vconn.inmemory.InMemoryTransport;
import dev.vconn.ports.Transport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * Batches of connected socket pairs made ahead of a measurement, so that connect and accept stay out of it: real
 * loopback TCP pairs for the socket transports, in-memory channel pairs for {@code inmemory}. The accepted end is
 * the one to adopt; it is also closed first, so TIME_WAIT lands on the listener's port, not on the clients'
 * ephemeral ports (thousands of pairs per run would otherwise exhaust them).
 */
public final class SocketPairs implements AutoCloseable {
    private final SocketChannel[] toAdopt;
    private final SocketChannel[] clients;

    private SocketPairs(int n) {
        toAdopt = new SocketChannel[n];
        clients = new SocketChannel[n];
    }

    /** {@code n} connected pairs for {@code transport} (blocking, as a freshly accepted socket is). */
    public static SocketPairs make(Transport transport, int n) throws IOException {
        SocketPairs p = new SocketPairs(n);
        try {
            if (transport instanceof InMemoryTransport mem) {
                for (int i = 0; i < n; i++) {
                    InMemoryNetwork.ChannelPair cp = mem.network().openPair();
                    p.toAdopt[i] = cp.peer();
                    p.clients[i] = cp.local();
                }
            } else {
                try (ServerSocketChannel server = ServerSocketChannel.open()) {
                    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), n);
                    for (int i = 0; i < n; i++) {
                        p.clients[i] = SocketChannel.open(server.getLocalAddress());
                        p.toAdopt[i] = server.accept();
                    }
                }
            }
            return p;
        } catch (IOException | RuntimeException e) {
            p.close();
            throw e;
        }
    }

    /** How many pairs. */
    public int size() {
        return toAdopt.length;
    }

    /** The accepted end of pair {@code i}, to adopt (the VConn then owns it). */
    public SocketChannel toAdopt(int i) {
        return toAdopt[i];
    }

    /** Closes the client ends (and any accepted end that was not adopted). */
    @Override
    public void close() {
        for (int i = 0; i < clients.length; i++) {
            closeQuietly(clients[i]);
        }
    }

    /** Closes the accepted ends that were not handed to a VConn (after a failed run). */
    public void closeUnadopted(int adopted) {
        for (int i = adopted; i < toAdopt.length; i++) {
            closeQuietly(toAdopt[i]);
        }
    }

    private static void closeQuietly(SocketChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // teardown of a benchmark: nothing to do about it
            }
        }
    }
}
