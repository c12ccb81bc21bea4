package dev.vconn.domain.loop;

import dev.vconn.domain.EventLoop;
import dev.vconn.domain.ScheduledAction;
import dev.vconn.domain.spi.LoopTimer;
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
 *
 * <p><b>Bounded driving.</b> A loop kept busy without end (two VConns streaming forever) never becomes idle, so
 * {@link #runReady}, {@link #advance}, {@link #runUntilIdle} and {@link #runUntil} would never return: each
 * driving call runs at most {@link #stepLimit()} tasks and then throws {@link LoopBusyException}, naming the
 * tasks still ready (a VConn's pass names its VConn). To drive such a loop for a while, use {@link #runFor}: it
 * returns after a span of virtual time however busy the loop is, because there every round of ready tasks costs
 * {@link #BUSY_ROUND} of virtual time.
 */
public final class VirtualTimeEventLoop implements EventLoop {
    /** The default {@link #stepLimit()}: tasks one driving call may run. */
    public static final long DEFAULT_STEP_LIMIT = 10_000_000L;
    /** The virtual time one round of ready tasks costs in {@link #runFor}, while the loop stays busy. */
    public static final Duration BUSY_ROUND = Duration.ofNanos(1_000);

    private final Object lock = new Object();
    private final ArrayDeque<Runnable> ready = new ArrayDeque<>();
    private final PriorityQueue<LoopTimer> timers = new PriorityQueue<>();
    private volatile long now;
    private long sequence;
    private volatile Thread driver;
    private volatile long stepLimit = DEFAULT_STEP_LIMIT;
    /** Tasks run by the current driving call (loop-confined). */
    private long steps;

    /** A loop whose clock starts at zero. */
    public VirtualTimeEventLoop() {
    }

    /** The most tasks one driving call runs before it throws {@link LoopBusyException}. */
    public long stepLimit() {
        return stepLimit;
    }

    /**
     * Sets {@link #stepLimit()}.
     *
     * @param limit at least 1
     * @return this loop
     * @throws IllegalArgumentException if {@code limit < 1}
     */
    public VirtualTimeEventLoop setStepLimit(long limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("step limit must be >= 1, was " + limit);
        }
        this.stepLimit = limit;
        return this;
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

    /**
     * Runs the loop for {@code duration} of virtual time, however busy it is, and moves the clock to the end of it:
     * ready tasks, and each timer at its deadline. While tasks keep being ready, the loop works in rounds (the
     * tasks ready when a round starts; tasks they post belong to the next round), and each round costs
     * {@link #BUSY_ROUND} of virtual time, so timers fire during a busy phase and an endless stream is driven for
     * a bounded span instead of for ever. When the loop is idle the clock jumps to the next timer, as in
     * {@link #advance}.
     *
     * @param duration how long to run, at least 0
     * @return the number of tasks run
     * @throws LoopBusyException if more than {@link #stepLimit()} tasks ran (a task re-posting itself within one
     *     instant without end)
     */
    public long runFor(Duration duration) {
        if (duration.isNegative()) {
            throw new IllegalArgumentException("duration must be >= 0, was " + duration);
        }
        long target = saturatedAdd(now, duration.toNanos());
        return drive(() -> {
            long count = 0;
            while (true) {
                count += runDueTimers();
                int round = readyCount();
                if (round > 0) {
                    count += runRound(round);
                    if (readyCount() > 0 || hasTimerDue(now)) {
                        if (now >= target) {
                            return count;
                        }
                        now = Math.min(target, saturatedAdd(now, BUSY_ROUND.toNanos()));
                    }
                    continue;
                }
                LoopTimer next = nextTimerDue(target);
                if (next == null) {
                    now = Math.max(now, target);
                    return count + runDueTimers();
                }
                now = Math.max(now, next.deadline());
                count += runTimer(next);
            }
        });
    }

    private long runRound(int tasks) {
        long count = 0;
        for (int i = 0; i < tasks; i++) {
            Runnable task;
            synchronized (lock) {
                task = ready.pollFirst();
            }
            if (task == null) {
                break;
            }
            step(task, null);
            task.run();
            count++;
        }
        return count;
    }

    private long runDueTimers() {
        long count = 0;
        LoopTimer due;
        while ((due = nextTimerDue(now)) != null) {
            count += runTimer(due);
        }
        return count;
    }

    private boolean hasTimerDue(long at) {
        synchronized (lock) {
            LoopTimer next = timers.peek();
            while (next != null && next.isCancelled()) {
                timers.poll();
                next = timers.peek();
            }
            return next != null && next.deadline() <= at;
        }
    }

    /**
     * Counts one task of the current driving call, about to run. Past the step limit the task is put back where it
     * was (it has not run; a later driving call runs it) and {@link LoopBusyException} names what is ready.
     */
    private void step(Runnable task, LoopTimer timer) {
        if (++steps > stepLimit) {
            synchronized (lock) {
                if (timer != null) {
                    timers.add(timer);
                } else {
                    ready.addFirst(task);
                }
            }
            throw new LoopBusyException(stepLimit, now, describeReady());
        }
    }

    /** The tasks ready and the timers due, grouped by what they say they are, most frequent first. */
    private String describeReady() {
        java.util.Map<String, Integer> counts = new java.util.LinkedHashMap<>();
        synchronized (lock) {
            for (Runnable r : ready) {
                counts.merge(String.valueOf(r), 1, Integer::sum);
            }
            for (LoopTimer t : timers) {
                if (!t.isCancelled() && t.deadline() <= now) {
                    counts.merge(String.valueOf(t), 1, Integer::sum);
                }
            }
        }
        StringBuilder sb = new StringBuilder();
        counts.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).limit(8).forEach(e -> {
            if (sb.length() > 0) {
                sb.append("; ");
            }
            sb.append(e.getValue()).append(" x ").append(e.getKey());
        });
        if (counts.size() > 8) {
            sb.append("; and ").append(counts.size() - 8).append(" more kinds");
        }
        return sb.toString();
    }

    /** Tasks ready to run now. */
    public int readyCount() {
        synchronized (lock) {
            return ready.size();
        }
    }

    /** How many timers were scheduled on this loop since it was made (fired, cancelled or pending). */
    public long timersScheduled() {
        synchronized (lock) {
            return sequence;
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
        boolean outermost = previous == null;
        if (outermost) {
            steps = 0;
        }
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
            LoopTimer timer = null;
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
                    timer = due;
                }
            }
            step(task, timer);
            task.run();
            count++;
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

    private long runTimer(LoopTimer timer) {
        step(null, timer);
        timer.fire();
        return 1;
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }
}
