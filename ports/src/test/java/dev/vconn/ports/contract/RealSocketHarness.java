package dev.vconn.ports.contract;

import dev.vconn.domain.EventLoop;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * The part of a {@link TransportHarness} that every transport over real loopback sockets shares (nio, Netty):
 * loopback channel pairs, a refused address, channels registered elsewhere, a foreign channel kind, bounded
 * real-time waits that run a round trip through every loop, and socket counting from {@code /proc/self/fd}.
 */
public abstract class RealSocketHarness implements TransportHarness {
    static {
        primeJdkSocketMachinery();
    }

    private final List<AutoCloseable> made = new ArrayList<>();
    private final List<Selector> selectors = new ArrayList<>();

    /** Closes {@code c} when the harness closes (before the transport). */
    protected final void closeAfter(AutoCloseable c) {
        made.add(c);
    }

    @Override
    public SocketAddress listenAddress() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    }

    @Override
    public SocketAddress refusedAddress() throws IOException {
        try (ServerSocketChannel probe = ServerSocketChannel.open()) {
            probe.bind(listenAddress());
            return probe.getLocalAddress(); // closed when this returns: nothing listens there
        }
    }

    @Override
    public ChannelPair channelPair() throws IOException {
        return loopbackPair(made);
    }

    /** A connected blocking loopback pair; {@code made} gets both ends so that they can be closed later. */
    public static ChannelPair loopbackPair(List<AutoCloseable> made) throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel local = SocketChannel.open(server.getLocalAddress());
            SocketChannel peer = server.accept();
            made.add(local);
            made.add(peer);
            return new ChannelPair(local, peer);
        }
    }

    @Override
    public SocketChannel unconnectedChannel() throws IOException {
        SocketChannel ch = SocketChannel.open();
        made.add(ch);
        return ch;
    }

    @Override
    public void registerElsewhere(SocketChannel channel) throws IOException {
        Selector selector = Selector.open();
        made.add(selector);
        selectors.add(selector);
        channel.configureBlocking(false);
        channel.register(selector, SelectionKey.OP_READ);
    }

    @Override
    public ChannelPair foreignChannelPair() throws IOException {
        ChannelPair real = loopbackPair(made);
        ForeignSocketChannel foreign = new ForeignSocketChannel(real.local());
        made.add(foreign);
        return new ChannelPair(foreign, real.peer());
    }

    @Override
    public boolean await(BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (condition.getAsBoolean()) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return condition.getAsBoolean();
            }
            roundTrip(transport().eventLoops());
            if (!condition.getAsBoolean()) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }
    }

    /**
     * Waits, with a round trip to every loop between checks, until {@code condition} holds; fails after 20 s naming
     * {@code what}.
     */
    public static void awaitOnLoops(List<EventLoop> loops, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() >= deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            roundTrip(loops);
        }
    }

    /** Waits until every loop has run the tasks queued before this call (at most 100 ms per loop). */
    public static void roundTrip(List<EventLoop> loops) {
        for (EventLoop loop : loops) {
            CountDownLatch done = new CountDownLatch(1);
            loop.execute(done::countDown);
            try {
                done.await(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public int openSockets() {
        // A channel closed while registered with a selector keeps its descriptor until that selector deregisters
        // the key; let the selectors this harness made do so, as a program using them would on its next select.
        for (Selector selector : selectors) {
            if (selector.isOpen()) {
                try {
                    selector.selectNow();
                } catch (IOException e) {
                    throw new IllegalStateException("selectNow failed", e);
                }
            }
        }
        return openSocketDescriptors();
    }

    /**
     * The JDK keeps one socket of its own for deferred closes, made the first time a registered channel is closed;
     * make it now so that it is part of every baseline rather than counted as a leak of the first test.
     */
    private static void primeJdkSocketMachinery() {
        try (Selector selector = Selector.open(); ServerSocketChannel probe = ServerSocketChannel.open()) {
            probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            probe.configureBlocking(false);
            probe.register(selector, SelectionKey.OP_ACCEPT);
            probe.close();
            selector.selectNow();
        } catch (IOException e) {
            throw new IllegalStateException("cannot prime the JDK's socket machinery", e);
        }
    }

    /** Sockets among this process's open file descriptors (Linux {@code /proc/self/fd}). */
    public static int openSocketDescriptors() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return (int) fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith("socket:");
                } catch (IOException e) {
                    return false; // closed while listing
                }
            }).count();
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc/self/fd", e);
        }
    }

    @Override
    public void close() {
        for (AutoCloseable c : made) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort: the test may have closed it already
            }
        }
        transport().close();
    }
}
