package dev.vconn.domain;

import java.time.Duration;

/**
 * A single thread (real or virtual) that runs tasks in order; every VConn is pinned to one loop and all of its
 * events are delivered there.
 *
 * <p>All methods are thread-safe. Time comes from the loop's own clock ({@link #nanoTime()}), which is virtual on
 * the deterministic loop, so timeouts can be tested without sleeping.
 */
public interface EventLoop {
    /** Runs the task on this loop, after the tasks already queued. Never runs it synchronously. */
    void execute(Runnable task);

    /**
     * Runs the task on this loop once {@code delay} has passed on the loop's clock.
     *
     * @throws IllegalArgumentException if the delay is negative
     */
    ScheduledAction schedule(Runnable task, Duration delay);

    /** Whether the calling thread is this loop's thread, running its tasks now. */
    boolean inEventLoop();

    /** The loop's clock in nanoseconds, monotonic; only differences are meaningful. */
    long nanoTime();
}
