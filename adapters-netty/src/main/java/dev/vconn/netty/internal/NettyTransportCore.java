package dev.vconn.netty.internal;

import dev.vconn.domain.EventLoop;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.TransportConfig;
import dev.vconn.ports.spi.OpenResourceTracker;
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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state the Netty transport's ports share: the loop groups, round robin, open resources, listeners, options,
 * and the orderly shutdown.
 *
 * <p>Loops: {@code config.eventLoops()} primary loops run the chosen I/O kind (epoll when available and not
 * forced off, else NIO); they carry connected, accepted and raw-descriptor VConns and in-process pairs. A JDK
 * {@link java.nio.channels.SocketChannel} can only be driven by a NIO selector, so when epoll is primary a second
 * group of as many NIO loops carries adopted JDK channels; with NIO primary the primary loops do.
 */
public final class NettyTransportCore {
    private static final Logger log = LoggerFactory.getLogger(NettyTransportCore.class);
    private static final AtomicInteger TRANSPORTS = new AtomicInteger();

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
    private final OpenResourceTracker tracker = new OpenResourceTracker();
    private final Set<NetAcceptor.Listener> listeners = ConcurrentHashMap.newKeySet();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final DescriptorSwitch descriptorSwitch;
    private final String descriptorSwitchFailure;
    private volatile boolean open = true;

    /** Starts the loops. */
    public NettyTransportCore(TransportConfig config, boolean forceNio, boolean tcpNoDelay, boolean keepAlive) {
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

    /** The calling thread's primary loop if it is one, else the next primary loop. */
    NettyEventLoop currentOrNextLoop() {
        for (NettyEventLoop loop : primary) {
            if (loop.inEventLoop()) {
                return loop;
            }
        }
        return nextLoop();
    }

    /** The loop for an adopted JDK channel: the calling thread's NIO loop if it is one, else round robin. */
    NettyEventLoop adoptionLoop() {
        for (NettyEventLoop loop : adoption) {
            if (loop.inEventLoop()) {
                return loop;
            }
        }
        return adoption.get(Math.floorMod(nextAdoption.getAndIncrement(), adoption.size()));
    }

    /** The view of the loop {@code channel} is registered with. */
    NettyEventLoop loopOf(Channel channel) {
        NettyEventLoop loop = byNetty.get(channel.eventLoop());
        if (loop == null) {
            throw new IllegalStateException(channel + " is not on one of this transport's loops");
        }
        return loop;
    }

    /** The primary group (children of listeners are spread over it by Netty). */
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

    /** Whether the transport accepts work. */
    public boolean isOpen() {
        return open;
    }

    /** A VConn over a registered (or about to be registered) channel on {@code loop}. */
    ChannelVConn newVConn(NettyEventLoop loop, Channel channel, Runnable afterRelease) {
        return new ChannelVConn(loop, channel, tracker, config.blockPool(), config.shutdownTimeout(), afterRelease);
    }

    /**
     * Starts an operation that registers a channel; {@link #close} waits for it, so a registration never races the
     * loops' shutdown. Pair every true result with {@link #exit()}.
     *
     * @return false if the transport is closed (nothing to exit)
     */
    boolean enter() {
        inFlight.incrementAndGet();
        if (!open) {
            inFlight.decrementAndGet();
            return false;
        }
        return true;
    }

    /** Ends an operation started by {@link #enter()}. */
    void exit() {
        inFlight.decrementAndGet();
    }

    void listenerOpened(NetAcceptor.Listener listener) {
        listeners.add(listener);
    }

    void listenerClosed(NetAcceptor.Listener listener) {
        listeners.remove(listener);
    }

    /**
     * Stops accepting, waits up to the shutdown timeout for open VConns and pairs to be closed by their owners,
     * logs and closes what is left, then shuts the loop groups down gracefully. Idempotent.
     */
    public void close(String name) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        open = false;
        List.copyOf(listeners).forEach(NetAcceptor.Listener::close);
        Duration timeout = config.shutdownTimeout();
        long deadline = System.nanoTime() + timeout.toNanos();
        awaitOnLoops(() -> inFlight.get() == 0, deadline);
        awaitOnLoops(tracker::isEmpty, deadline);
        if (!tracker.isEmpty()) {
            tracker.logLeftOpen(log, name);
            tracker.closeAll();
            awaitOnLoops(tracker::isEmpty, System.nanoTime() + Duration.ofSeconds(1).toNanos());
        }
        long millis = Math.max(1, timeout.toMillis());
        Future<?> primaryDone = primaryGroup.shutdownGracefully(0, millis, TimeUnit.MILLISECONDS);
        Future<?> adoptionDone = adoptionGroup == null ? null
                : adoptionGroup.shutdownGracefully(0, millis, TimeUnit.MILLISECONDS);
        if (!onOwnLoop()) {
            primaryDone.awaitUninterruptibly(millis + 1000);
            if (adoptionDone != null) {
                adoptionDone.awaitUninterruptibly(millis + 1000);
            }
        }
        if (descriptorSwitch != null) {
            descriptorSwitch.close();
        }
    }

    private boolean onOwnLoop() {
        for (NettyEventLoop loop : byNetty.values()) {
            if (loop.inEventLoop()) {
                return true;
            }
        }
        return false;
    }

    /** Waits until {@code condition} holds or the deadline passes, letting each loop run a round between checks. */
    private void awaitOnLoops(BooleanSupplier condition, long deadline) {
        if (onOwnLoop()) {
            return; // a loop cannot wait for itself
        }
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            for (NettyEventLoop loop : byNetty.values()) {
                CountDownLatch done = new CountDownLatch(1);
                loop.execute(done::countDown);
                try {
                    done.await(10, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
