package dev.vconn.netty;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.LinuxSocket;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Raw socket descriptors for adoption tests, without reflection: Netty's public {@link LinuxSocket} makes and
 * connects a TCP socket and tells its descriptor number; {@code /proc/self/fd} and {@code /proc/self/fdinfo} tell
 * what a descriptor is and its status flags.
 */
final class RawSockets {
    /** Linux's {@code O_NONBLOCK}. */
    static final int O_NONBLOCK = 04000;

    private RawSockets() {
    }

    /**
     * A raw connected TCP socket and its accepted JDK peer (blocking).
     *
     * @param socket the raw socket (non-blocking, as Netty makes them); whoever owns it closes it
     * @param peer   the other end
     */
    record RawPair(LinuxSocket socket, SocketChannel peer) {
        int fd() {
            return socket.intValue();
        }
    }

    /** Connects a raw socket made by Netty to a fresh loopback listener; {@code made} gets the peer. */
    static RawPair connect(List<AutoCloseable> made) throws IOException {
        Epoll.ensureAvailability();
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            LinuxSocket socket = LinuxSocket.newSocketStream(false);
            boolean connected = socket.connect(server.getLocalAddress());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!connected) {
                if (System.nanoTime() > deadline) {
                    socket.close();
                    throw new IOException("a loopback connect did not complete");
                }
                connected = socket.finishConnect();
            }
            SocketChannel peer = server.accept();
            made.add(peer);
            return new RawPair(socket, peer);
        }
    }

    /** What {@code fd} refers to ({@code socket:[inode]}, {@code pipe:[inode]}, ...), or null if it is closed. */
    static String link(int fd) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The status flags of {@code fd} ({@code O_NONBLOCK} among them). */
    static int flags(int fd) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd))) {
                if (line.startsWith("flags:")) {
                    return Integer.parseInt(line.substring("flags:".length()).trim(), 8);
                }
            }
            throw new IllegalStateException("no flags for descriptor " + fd);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The socket descriptors open now. */
    static Set<Integer> socketDescriptors() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            Set<Integer> out = new TreeSet<>();
            fds.forEach(p -> {
                String l = link(Integer.parseInt(p.getFileName().toString()));
                if (l != null && l.startsWith("socket:")) {
                    out.add(Integer.parseInt(p.getFileName().toString()));
                }
            });
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
