package dev.vconn.nio.internal;

import dev.vconn.domain.EventLoop;
import dev.vconn.ports.spi.OpenResourceTracker;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** What the nio transport's parts share: the selector loops, round robin, the open-resource tracker, options. */
public final class NioTransportCore {
    private static final AtomicInteger TRANSPORTS = new AtomicInteger();

    private final List<NioEventLoop> loops = new ArrayList<>();
    private final AtomicInteger next = new AtomicInteger();
    private final OpenResourceTracker tracker;
    private final boolean tcpNoDelay;
    private final boolean keepAlive;

    /** Starts {@code eventLoops} loops; connected and accepted sockets get the given options. */
    public NioTransportCore(int eventLoops, OpenResourceTracker tracker, boolean tcpNoDelay, boolean keepAlive) {
        this.tracker = tracker;
        this.tcpNoDelay = tcpNoDelay;
        this.keepAlive = keepAlive;
        int id = TRANSPORTS.incrementAndGet();
        for (int i = 0; i < eventLoops; i++) {
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

    /**
     * {@code preferred}, unless another loop holds at least {@code margin} fewer {@link NioEventLoop#liveSockets()
     * live sockets}: then the loop with the fewest (the first of equals).
     */
    public NioEventLoop leastLoadedLoop(NioEventLoop preferred, int margin) {
        int preferredLive = preferred.liveSockets();
        NioEventLoop least = preferred;
        int leastLive = preferredLive;
        for (NioEventLoop candidate : loops) {
            int live = candidate.liveSockets();
            if (live < leastLive) {
                least = candidate;
                leastLive = live;
            }
        }
        return leastLive <= preferredLive - margin ? least : preferred;
    }

    /**
     * The calling thread's loop if it is one of these, else the next loop: a connect made on a loop stays on it, so
     * a proxy's origin connection lives on its client's loop (docs/threading.md, Loop affinity).
     */
    public NioEventLoop currentOrNextLoop() {
        for (NioEventLoop loop : loops) {
            if (loop.inEventLoop()) {
                return loop;
            }
        }
        return nextLoop();
    }

    /** Open VConns and pairs. */
    public OpenResourceTracker tracker() {
        return tracker;
    }

    void applyOptions(SocketChannel channel) throws IOException {
        channel.setOption(StandardSocketOptions.TCP_NODELAY, tcpNoDelay);
        channel.setOption(StandardSocketOptions.SO_KEEPALIVE, keepAlive);
    }

    /** Stops every loop, waiting at most {@code bound} in all. */
    public void stopLoops(Duration bound) {
        long deadline = System.nanoTime() + bound.toNanos();
        for (NioEventLoop loop : loops) {
            loop.shutdown(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        }
    }
}
