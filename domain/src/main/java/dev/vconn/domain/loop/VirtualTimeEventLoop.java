package dev.vconn.domain.loop;

import dev.vconn.domain.EventLoop;
import dev.vconn.domain.ScheduledAction;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * A deterministic event loop on a virtual clock. It has no thread of its own: the thread that calls one of the
 * {@code run*} or {@link #advance} methods becomes the loop thread while the call lasts. Time moves only when a
 * driver advances it, so a 30-second timeout is tested in microseconds and every run with the same inputs
 * replays exactly.
 *
 * <p>{@link #execute} and {@link #schedule} are thread-safe, so foreign threads may post work; tasks run in
 * posting order, timers in deadline order (ties in scheduling order). A task that throws stops the driving call
 * with that exception: on this loop a throwing task is a bug to see, not to hide.
 */
public final class VirtualTimeEventLoop implements EventLoop {
    /** Tasks a single driving call may run before it reports a livelock. */
    private static final long MAX_TASKS_PER_CALL = 50_000_000L;

    private final Object lock = new Object();
    private final ArrayDeque<Runnable> ready = new ArrayDeque<>();
    private final PriorityQueue<LoopTimer> timers = new PriorityQueue<>();
    private volatile long now;
    private long sequence;
    private volatile Thread driver;

    /** A loop whose clock starts at zero. */
    public VirtualTimeEventLoop() {
    }

    @Override
    public void execute(Runnable task) {
        Objects.requireNonNull(task, "task");
        synchronized (lock) {
            ready.addLast(task);
        }
    }

    @Override
    public ScheduledAction schedule(Runnable task, Duration delay) {
        Objects.requireNonNull(task, "task");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay must be >= 0, was " + delay);
        }
        synchronized (lock) {
            LoopTimer timer = new LoopTimer(saturatedAdd(now, delay.toNanos()), sequence++, task);
            timers.add(timer);
            return timer;
        }
    }

    @Override
    public boolean inEventLoop() {
        return Thread.currentThread() == driver;
    }

    @Override
    public long nanoTime() {
        return now;
    }

    /** The virtual time elapsed since the loop was made. */
    public Duration elapsed() {
        return Duration.ofNanos(now);
    }

    /**
     * Runs every task that is ready now, and those they post, without moving the clock.
     *
     * @return the number of tasks run
     */
    public long runReady() {
        return drive(this::runReadyInternal);
    }

    /**
     * Moves the clock forward by {@code duration}, running ready tasks and each timer at its deadline on the way.
     *
     * @return the number of tasks run
     */
    public long advance(Duration duration) {
        long target = saturatedAdd(now, duration.toNanos());
        return drive(() -> {
            long count = runReadyInternal();
            while (true) {
                LoopTimer next = nextTimerDue(target);
                if (next == null) {
                    break;
                }
                now = Math.max(now, next.deadline());
                count += runTimer(next);
                count += runReadyInternal();
            }
            now = Math.max(now, target);
            return count + runReadyInternal();
        });
    }

    /**
     * Runs until nothing is ready and no timer is pending, moving the clock to each timer's deadline in turn (the
     * loop is idle between them, so virtual time may jump).
     *
     * @return the number of tasks run
     */
    public long runUntilIdle() {
        // Like advance(forever), but the clock stays at the last timer's deadline instead of jumping to the end
        // of time, so later schedules still work.
        return drive(() -> {
            long count = runReadyInternal();
            LoopTimer next;
            while ((next = nextTimerDue(Long.MAX_VALUE)) != null) {
                now = Math.max(now, next.deadline());
                count += runTimer(next);
                count += runReadyInternal();
            }
            return count;
        });
    }

    /**
     * Runs tasks, and moves the clock from timer to timer, until {@code condition} holds or {@code limit} of
     * virtual time has passed or nothing is left to run.
     *
     * @return whether the condition holds
     */
    public boolean runUntil(BooleanSupplier condition, Duration limit) {
        long target = saturatedAdd(now, limit.toNanos());
        drive(() -> {
            // The condition is checked between tasks too, so endless streaming cannot hide it (it never idles).
            long count = runReadyInternal(condition);
            while (!condition.getAsBoolean()) {
                LoopTimer next = nextTimerDue(target);
                if (next == null) {
                    break;
                }
                now = Math.max(now, next.deadline());
                count += runTimer(next);
                count += runReadyInternal(condition);
            }
            return count;
        });
        return condition.getAsBoolean();
    }

    /** Tasks ready to run now. */
    public int readyCount() {
        synchronized (lock) {
            return ready.size();
        }
    }

    /** Timers not yet fired or cancelled. */
    public int timerCount() {
        synchronized (lock) {
            timers.removeIf(t -> t.isCancelled());
            return timers.size();
        }
    }

    private long drive(LongSupplier body) {
        Thread me = Thread.currentThread();
        Thread previous = driver;
        if (previous != null && previous != me) {
            throw new IllegalStateException("VirtualTimeEventLoop is already driven by " + previous.getName());
        }
        driver = me;
        try {
            return body.getAsLong();
        } finally {
            driver = previous;
        }
    }

    private long runReadyInternal() {
        return runReadyInternal(null);
    }

    /** Runs ready and due tasks until none is left or {@code stop} holds (checked every 64 tasks). */
    private long runReadyInternal(BooleanSupplier stop) {
        long count = 0;
        while (true) {
            if (stop != null && (count & 63) == 63 && stop.getAsBoolean()) {
                return count;
            }
            Runnable task;
            synchronized (lock) {
                task = ready.pollFirst();
                if (task == null) {
                    LoopTimer due = timers.peek();
                    while (due != null && due.isCancelled()) {
                        timers.poll();
                        due = timers.peek();
                    }
                    if (due == null || due.deadline() > now) {
                        return count;
                    }
                    timers.poll();
                    task = due::fire;
                }
            }
            task.run();
            if (++count > MAX_TASKS_PER_CALL) {
                throw new IllegalStateException(
                        "VirtualTimeEventLoop ran " + MAX_TASKS_PER_CALL + " tasks without becoming idle (livelock?)");
            }
        }
    }

    private LoopTimer nextTimerDue(long target) {
        synchronized (lock) {
            LoopTimer next = timers.peek();
            while (next != null && next.isCancelled()) {
                timers.poll();
                next = timers.peek();
            }
            if (next == null || next.deadline() > target) {
                return null;
            }
            return timers.poll();
        }
    }

    private static long runTimer(LoopTimer timer) {
        timer.fire();
        return 1;
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }
}
