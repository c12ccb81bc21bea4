package dev.vconn.netty.internal;

import dev.vconn.domain.EventLoop;
import dev.vconn.ports.TransportConfig;
import dev.vconn.ports.spi.OpenResourceTracker;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the Netty transport's parts share: the loop groups, round robin, the open-resource tracker, options, the
 * descriptor switch, and stopping the loops.
 *
 * <p>Loops: {@code config.eventLoops()} primary loops run the chosen I/O kind (epoll when available and not
 * forced off, else NIO); they carry connected, accepted and raw-descriptor VConns and in-process pairs. A JDK
 * {@link java.nio.channels.SocketChannel} can only be driven by a NIO selector, so when epoll is primary a second
 * group of as many NIO loops carries adopted JDK channels; with NIO primary the primary loops do.
 */
public final class NettyTransportCore {
    private static final Logger log = LoggerFactory.getLogger(NettyTransportCore.class);
    private static final AtomicInteger TRANSPORTS = new AtomicInteger();
    private static final int SMALL_PAGE_SIZE = 8192;
    /**
     * Chunks of {@code SMALL_PAGE_SIZE << 8} = 2 MiB per loop. Netty never frees a chunk that has never been more than
     * a quarter used (its "init" list), and returns a chunk that was to the system once it is empty again; so the
     * chunk is large enough that the buffers a loop has in flight at once (4 KiB each) rarely fill a quarter of it,
     * and the allocator's direct memory stays put instead of coming and going with bursts.
     */
    private static final int SMALL_MAX_ORDER = 8;
    private static final int SMALL_CACHE_SIZE = 256;

    private final TransportConfig config;
    private final boolean tcpNoDelay;
    private final boolean keepAlive;
    private final boolean epoll;
    private final String epollUnavailableReason;
    private final MultiThreadIoEventLoopGroup primaryGroup;
    private final MultiThreadIoEventLoopGroup adoptionGroup;
    private final List<NettyEventLoop> primary = new ArrayList<>();
    private final List<NettyEventLoop> adoption = new ArrayList<>();
    private final List<EventLoop> all = new ArrayList<>();
    private final Map<EventExecutor, NettyEventLoop> byNetty = new IdentityHashMap<>();
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger nextAdoption = new AtomicInteger();
    private final OpenResourceTracker tracker;
    private final DescriptorSwitch descriptorSwitch;
    private final String descriptorSwitchFailure;
    /**
     * Where VConns copy small reads and writes: direct buffers pooled per loop thread (one arena per loop, 2 MiB
     * chunks, caches for the loop threads only), so a small transfer takes no block of the block pool and allocates
     * nothing (docs/netty-adapter.md, Small reads and writes).
     */
    private final PooledByteBufAllocator smallBuffers;
    /** Each loop's own buffers from {@link #smallBuffers} (docs/netty-adapter.md, Small reads and writes). */
    private final Map<NettyEventLoop, SmallBuffers> smallBuffersByLoop = new IdentityHashMap<>();

    /** Starts the loops; VConns are listed in {@code tracker}. */
    public NettyTransportCore(TransportConfig config, OpenResourceTracker tracker, boolean forceNio, boolean tcpNoDelay,
            boolean keepAlive) {
        this.tracker = tracker;
        this.tcpNoDelay = tcpNoDelay;
        this.keepAlive = keepAlive;
        this.config = config;
        int id = TRANSPORTS.incrementAndGet();
        this.epoll = !forceNio && Epoll.isAvailable();
        if (epoll) {
            epollUnavailableReason = null;
        } else if (forceNio) {
            epollUnavailableReason = "NIO was forced by NettyOptions.forceNio";
        } else {
            epollUnavailableReason = "epoll is unavailable: " + Epoll.unavailabilityCause();
        }
        int n = config.eventLoops();
        smallBuffers = new PooledByteBufAllocator(true, 0, n, SMALL_PAGE_SIZE, SMALL_MAX_ORDER, SMALL_CACHE_SIZE, 0,
                false);
        String prefix = "vconn-netty-" + id;
        primaryGroup = new MultiThreadIoEventLoopGroup(n, new DefaultThreadFactory(prefix + "-" + (epoll ? "epoll" : "nio"),
                true), epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        for (EventExecutor e : primaryGroup) {
            NettyEventLoop loop = new NettyEventLoop((IoEventLoop) e, epoll);
            primary.add(loop);
            byNetty.put(e, loop);
        }
        if (epoll) {
            adoptionGroup = new MultiThreadIoEventLoopGroup(n, new DefaultThreadFactory(prefix + "-nio-adopted", true),
                    NioIoHandler.newFactory());
            for (EventExecutor e : adoptionGroup) {
                NettyEventLoop loop = new NettyEventLoop((IoEventLoop) e, false);
                adoption.add(loop);
                byNetty.put(e, loop);
            }
        } else {
            adoptionGroup = null;
            adoption.addAll(primary);
        }
        all.addAll(primary);
        if (adoptionGroup != null) {
            all.addAll(adoption);
        }
        for (NettyEventLoop loop : byNetty.values()) {
            smallBuffersByLoop.put(loop, new SmallBuffers(smallBuffers, ChannelVConn.SMALL_READ_SIZE,
                    ChannelVConn.SMALL_WRITE_MAX));
        }
        DescriptorSwitch sw = null;
        String swFailure = epollUnavailableReason;
        if (epoll) {
            try {
                sw = DescriptorSwitch.open();
            } catch (Exception | LinkageError e) {
                swFailure = "the descriptor switch could not be set up: " + e;
                log.warn("raw descriptor adoption is unavailable: {}", swFailure, e);
            }
        }
        descriptorSwitch = sw;
        descriptorSwitchFailure = swFailure;
        log.info("netty transport {} runs {} loops on {}{}", id, n, epoll ? "epoll" : "NIO",
                epoll ? " (plus " + n + " NIO loops for adopted JDK channels)" : " (" + epollUnavailableReason + ")");
    }

    /** Whether the primary loops run epoll (else Netty's NIO transport). */
    public boolean epoll() {
        return epoll;
    }

    /** Why epoll is not used, or null when it is. */
    public String epollUnavailableReason() {
        return epollUnavailableReason;
    }

    /** The fd-passing helper raw adoption needs, or null (see {@link #descriptorSwitchFailure()}). */
    DescriptorSwitch descriptorSwitch() {
        return descriptorSwitch;
    }

    /** Why {@link #descriptorSwitch()} is null. */
    String descriptorSwitchFailure() {
        return descriptorSwitchFailure;
    }

    /** Every loop, primary first, as the ports see them. */
    public List<EventLoop> eventLoops() {
        return List.copyOf(all);
    }

    /** The next primary loop, round robin. */
    public NettyEventLoop nextLoop() {
        return primary.get(Math.floorMod(next.getAndIncrement(), primary.size()));
    }

    /**
     * The calling thread's primary loop if it is one, else the next primary loop: a connect made on a loop stays on
     * it (docs/threading.md, Loop affinity).
     */
    public NettyEventLoop currentOrNextLoop() {
        for (NettyEventLoop loop : primary) {
            if (loop.inEventLoop()) {
                return loop;
            }
        }
        return nextLoop();
    }

    /** The loop for an adopted JDK channel: the calling thread's NIO loop if it is one, else round robin. */
    public NettyEventLoop adoptionLoop() {
        for (NettyEventLoop loop : adoption) {
            if (loop.inEventLoop()) {
                return loop;
            }
        }
        return adoption.get(Math.floorMod(nextAdoption.getAndIncrement(), adoption.size()));
    }

    /**
     * The loop for a connection that {@code accepting} accepted: {@code accepting} itself unless another primary loop
     * holds at least {@code margin} fewer live accepted connections, then the one with the fewest
     * (docs/netty-adapter.md, Accepting). Ties stay local.
     */
    NettyEventLoop acceptLoop(NettyEventLoop accepting, int margin) {
        NettyEventLoop least = accepting;
        int leastLive = accepting.liveSockets();
        for (NettyEventLoop loop : primary) {
            int live = loop.liveSockets();
            if (live < leastLive) {
                least = loop;
                leastLive = live;
            }
        }
        return accepting.liveSockets() - leastLive >= margin ? least : accepting;
    }

    /** The view of the loop {@code channel} is registered with. */
    NettyEventLoop loopOf(Channel channel) {
        NettyEventLoop loop = byNetty.get(channel.eventLoop());
        if (loop == null) {
            throw new IllegalStateException(channel + " is not on one of this transport's loops");
        }
        return loop;
    }

    /** The primary group (a listener registers accepted channels on its loops: docs/netty-adapter.md, Accepting). */
    MultiThreadIoEventLoopGroup primaryGroup() {
        return primaryGroup;
    }

    /** The socket channel class of the primary loops. */
    Class<? extends Channel> socketChannelClass() {
        return epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    /** The server channel class of the primary loops. */
    Class<? extends ServerChannel> serverChannelClass() {
        return epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /** Whether connected and accepted sockets get {@code TCP_NODELAY}. */
    boolean tcpNoDelay() {
        return tcpNoDelay;
    }

    /** Whether connected and accepted sockets get {@code SO_KEEPALIVE}. */
    boolean keepAlive() {
        return keepAlive;
    }

    /** Open VConns and pairs. */
    public OpenResourceTracker tracker() {
        return tracker;
    }

    /** A VConn over a registered (or about to be registered) channel on {@code loop}. */
    public ChannelVConn newVConn(NettyEventLoop loop, Channel channel, Runnable afterRelease) {
        return new ChannelVConn(loop, channel, tracker, config.blockPool(), smallBuffersByLoop.get(loop),
                config.shutdownTimeout(), afterRelease);
    }

    /**
     * Registers an adopted channel's {@code vconn} with {@code loop} and attaches it there, waiting for the outcome.
     *
     * @return null on success, else the failure (Netty has then closed the channel)
     */
    public Throwable registerAndAttach(NettyEventLoop loop, ChannelVConn vconn) {
        return Registration.registerAndAttach(loop, vconn.channel(), vconn);
    }

    /**
     * Stops the loop groups: no quiet period (nothing is open any more, or what is left is to be cut) and at most
     * {@code bound} in all; a stopping loop closes the channels it still drives. Then gives back the small buffers of
     * the loops that stopped and closes the descriptor switch.
     */
    public void stopLoops(Duration bound) {
        long millis = Math.max(1, bound.toMillis());
        Future<?> primaryDone = primaryGroup.shutdownGracefully(0, millis, TimeUnit.MILLISECONDS);
        Future<?> adoptionDone = adoptionGroup == null ? null
                : adoptionGroup.shutdownGracefully(0, millis, TimeUnit.MILLISECONDS);
        long deadline = System.nanoTime() + bound.toNanos();
        primaryDone.awaitUninterruptibly(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        if (adoptionDone != null) {
            adoptionDone.awaitUninterruptibly(Math.max(1,
                    TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
        // A loop's small buffers are its own thread's: given back here only once that thread has stopped.
        smallBuffersByLoop.forEach((loop, buffers) -> {
            if (loop.netty().isTerminated()) {
                buffers.close();
            }
        });
        if (descriptorSwitch != null) {
            descriptorSwitch.close();
        }
    }
}
