package dev.vconn.netty.internal;

import dev.vconn.domain.EventLoop;
import dev.vconn.domain.ScheduledAction;
import io.netty.channel.Channel;
import io.netty.channel.IoEventLoop;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Netty event loop seen as a domain {@link EventLoop}: tasks and timers run on the Netty loop's thread, so a
 * VConn pinned here shares its thread with its channel. The clock is {@link System#nanoTime()}, the same clock
 * Netty's scheduler measures delays with, so a timer never fires before its deadline on this clock.
 */
public final class NettyEventLoop implements EventLoop {
    private static final Logger log = LoggerFactory.getLogger(NettyEventLoop.class);

    private final IoEventLoop netty;
    private final boolean epoll;
    /** Accepted channels assigned to this loop and not yet closed (docs/netty-adapter.md, Accepting). */
    private final AtomicInteger liveSockets = new AtomicInteger();

    /** A view of {@code netty}; {@code epoll} says whether it drives epoll channels (else NIO channels). */
    public NettyEventLoop(IoEventLoop netty, boolean epoll) {
        this.netty = Objects.requireNonNull(netty, "netty");
        this.epoll = epoll;
    }

    /** The Netty loop behind this view. */
    public IoEventLoop netty() {
        return netty;
    }

    /**
     * How many accepted channels are assigned to this loop and not yet closed; read by the listener to decide where a
     * new connection goes. Connected channels (idle pooled origin connections among them) do not count.
     */
    public int liveSockets() {
        return liveSockets.get();
    }

    /** Counts {@code channel} as live on this loop until it closes (or fails to register, which closes it too). */
    void countLive(Channel channel) {
        liveSockets.incrementAndGet();
        channel.closeFuture().addListener(f -> liveSockets.decrementAndGet());
    }

    /** Whether this loop drives epoll channels (else NIO channels). */
    public boolean isEpoll() {
        return epoll;
    }

    @Override
    public void execute(Runnable task) {
        Objects.requireNonNull(task, "task");
        try {
            netty.execute(task);
        } catch (RejectedExecutionException e) {
            // The transport was closed: its VConns were force-closed already, so late work has nothing to do.
            log.debug("{} is shut down; dropped a task", this);
        }
    }

    @Override
    public ScheduledAction schedule(Runnable task, Duration delay) {
        Objects.requireNonNull(task, "task");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay must be >= 0, was " + delay);
        }
        try {
            return new Timer(netty.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS));
        } catch (RejectedExecutionException e) {
            log.debug("{} is shut down; dropped a timer", this);
            return new Timer(null);
        }
    }

    @Override
    public boolean inEventLoop() {
        return netty.inEventLoop();
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public String toString() {
        return "NettyEventLoop[" + (epoll ? "epoll" : "nio") + ", " + netty + "]";
    }

    /** A Netty scheduled future as a {@link ScheduledAction}; a null future stands for a rejected timer. */
    private record Timer(io.netty.util.concurrent.ScheduledFuture<?> future) implements ScheduledAction {
        @Override
        public boolean cancel() {
            // Netty marks a task uncancellable when it starts, so a true result means it will never run.
            return future != null && future.cancel(false);
        }

        @Override
        public boolean isCancelled() {
            return future != null && future.isCancelled();
        }
    }
}
