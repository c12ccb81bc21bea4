package dev.vconn.nio.internal;

import dev.vconn.domain.EventLoop;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.TransportConfig;
import dev.vconn.ports.spi.OpenResourceTracker;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The state the nio transport's ports share: loops, round robin, open resources, listeners, options. */
public final class NioTransportCore {
    private static final Logger log = LoggerFactory.getLogger(NioTransportCore.class);
    private static final AtomicInteger TRANSPORTS = new AtomicInteger();

    private final List<NioEventLoop> loops = new ArrayList<>();
    private final AtomicInteger next = new AtomicInteger();
    private final OpenResourceTracker tracker = new OpenResourceTracker();
    private final Set<NetAcceptor.Listener> listeners = ConcurrentHashMap.newKeySet();
    private final boolean tcpNoDelay;
    private final boolean keepAlive;
    private final TransportConfig config;
    private volatile boolean open = true;

    /** Starts {@code config.eventLoops()} loops; connected and accepted sockets get the given options. */
    public NioTransportCore(TransportConfig config, boolean tcpNoDelay, boolean keepAlive) {
        this.config = config;
        this.tcpNoDelay = tcpNoDelay;
        this.keepAlive = keepAlive;
        int id = TRANSPORTS.incrementAndGet();
        for (int i = 0; i < config.eventLoops(); i++) {
            loops.add(new NioEventLoop("vconn-nio-" + id + "-" + i));
        }
    }

    /** The loops, as the ports see them. */
    public List<EventLoop> eventLoops() {
        return List.copyOf(loops);
    }

    /** The next loop, round robin. */
    public NioEventLoop nextLoop() {
        return loops.get(Math.floorMod(next.getAndIncrement(), loops.size()));
    }

    /** Open VConns and pairs. */
    public OpenResourceTracker tracker() {
        return tracker;
    }

    /** Whether the transport accepts work. */
    public boolean isOpen() {
        return open;
    }

    /** The transport's config. */
    public TransportConfig config() {
        return config;
    }

    void applyOptions(SocketChannel channel) throws IOException {
        channel.setOption(StandardSocketOptions.TCP_NODELAY, tcpNoDelay);
        channel.setOption(StandardSocketOptions.SO_KEEPALIVE, keepAlive);
    }

    void listenerOpened(NetAcceptor.Listener listener) {
        listeners.add(listener);
    }

    void listenerClosed(NetAcceptor.Listener listener) {
        listeners.remove(listener);
    }

    /**
     * Stops accepting, waits up to the shutdown timeout for open VConns and pairs to be closed by their owners,
     * logs and closes what is left, then stops the loops. Idempotent.
     */
    public void close(String name, BooleanSupplier drained, Runnable forceClose) {
        if (!open) {
            return;
        }
        open = false;
        List.copyOf(listeners).forEach(NetAcceptor.Listener::close);
        Duration timeout = config.shutdownTimeout();
        long deadline = System.nanoTime() + timeout.toNanos();
        awaitDrained(drained, deadline);
        if (!tracker.isEmpty()) {
            tracker.logLeftOpen(log, name);
            forceClose.run();
            awaitDrained(drained, System.nanoTime() + Duration.ofSeconds(1).toNanos());
        }
        for (NioEventLoop loop : loops) {
            loop.shutdown(timeout);
        }
    }

    private void awaitDrained(BooleanSupplier drained, long deadline) {
        // Each round trip through every loop lets pending close work run; no fixed sleeps.
        while (!drained.getAsBoolean() && System.nanoTime() < deadline) {
            for (NioEventLoop loop : loops) {
                java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
                loop.execute(done::countDown);
                try {
                    done.await(10, java.util.concurrent.TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
