package dev.vconn.netty.internal;

import dev.vconn.domain.EventLoop;
import dev.vconn.domain.ScheduledAction;
import io.netty.channel.Channel;
import io.netty.channel.IoEventLoop;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Netty event loop seen as a domain {@link EventLoop}: tasks and timers run on the Netty loop's thread, so a
 * VConn pinned here shares its thread with its channel. The clock is {@link System#nanoTime()}, the same clock
 * Netty's scheduler measures delays with, so a timer never fires before its deadline on this clock.
 *
 * <p>Tasks do not go into Netty's task queue one by one: they wait in this view's own queue, a loop-local array ring for
 * tasks posted on the loop (most of them: the passes a pass schedules on other VConns) and a concurrent queue for tasks
 * posted from other threads, moved over in order as the nio loop does, so posting order is kept across threads. One
 * drain task in Netty's queue runs them; a task posted on the loop while one is queued or running costs no Netty queue
 * offer and no wake-up check (docs/netty-adapter.md, "Tasks").
 */
public final class NettyEventLoop implements EventLoop {
    private static final Logger log = LoggerFactory.getLogger(NettyEventLoop.class);

    private final IoEventLoop netty;
    private final boolean epoll;
    /** Accepted channels assigned to this loop and not yet closed (docs/netty-adapter.md, Accepting). */
    private final AtomicInteger liveSockets = new AtomicInteger();
    /** Tasks to run, in posting order; loop thread only. */
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>(64);
    /** Tasks posted from other threads; the loop moves them to {@link #tasks} in order. */
    private final Queue<Runnable> remoteTasks = new ConcurrentLinkedQueue<>();
    /** A drain is queued for remote tasks and has not yet looked at {@link #remoteTasks} (any thread). */
    private final AtomicBoolean remoteDrainPending = new AtomicBoolean();
    /** A drain is in Netty's queue for tasks posted on the loop, or running; loop thread only. */
    private boolean drainQueued;
    private final Runnable drain = new Runnable() {
        @Override
        public void run() {
            drainTasks();
        }

        @Override
        public String toString() {
            return "tasks of " + NettyEventLoop.this;
        }
    };

    /**
     * The most tasks one drain runs before it lets Netty's own work (I/O, its queue) go first: the drain queues itself
     * again for the rest. Netty runs its queue until it is empty or a time quantum has passed, as before.
     */
    static final int MAX_TASKS_PER_DRAIN = 1024;

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
        if (netty.inEventLoop()) {
            // Tasks other threads posted before this one run before it: posting order is kept across threads.
            moveRemoteTasks();
            tasks.add(task);
            if (!drainQueued) {
                drainQueued = true;
                offerDrain();
            }
        } else {
            remoteTasks.add(task);
            if (remoteDrainPending.compareAndSet(false, true)) {
                offerDrain();
            }
        }
    }

    private void offerDrain() {
        try {
            netty.execute(drain);
        } catch (RejectedExecutionException e) {
            // The transport was closed: its VConns were force-closed already, so late work has nothing to do.
            remoteTasks.clear();
            log.debug("{} is shut down; dropped its tasks", this);
        }
    }

    private boolean moveRemoteTasks() {
        boolean moved = false;
        Runnable task;
        while ((task = remoteTasks.poll()) != null) {
            tasks.add(task);
            moved = true;
        }
        return moved;
    }

    /** Runs queued tasks in order, those they post too, up to {@link #MAX_TASKS_PER_DRAIN}; loop thread only. */
    private void drainTasks() {
        drainQueued = true; // this drain runs what is posted while it runs
        try {
            for (int budget = MAX_TASKS_PER_DRAIN; budget > 0; budget--) {
                Runnable task = tasks.poll();
                if (task == null) {
                    remoteDrainPending.set(false); // a remote post from now on queues a drain of its own
                    if (!moveRemoteTasks()) {
                        return;
                    }
                    task = tasks.poll();
                }
                try {
                    task.run();
                } catch (RuntimeException e) {
                    log.error("task {} failed on {}", task, this, e);
                }
            }
        } finally {
            drainQueued = false;
            if (!tasks.isEmpty() || !remoteTasks.isEmpty()) {
                drainQueued = true;
                offerDrain(); // the rest waits behind Netty's own work
            }
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
