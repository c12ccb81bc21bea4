package dev.vconn.domain.spi;

import dev.vconn.domain.ScheduledAction;
import java.util.Objects;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A task due at a deadline on an event loop's clock, for loop implementations to keep in a priority queue:
 * ordered by deadline, then by scheduling order. One atomic transition decides between {@link #cancel()} (from
 * any thread) and {@link #fire()} (on the loop), so a successful cancel always means the task never runs.
 *
 * <p>A cancelled timer drops its task at once, so whatever the task refers to (a closed VConn and its buffers) is not
 * kept reachable by a queue that still holds the timer; and it tells the loop through the optional cancel listener,
 * so the loop can drop cancelled timers in bulk instead of keeping them until their deadlines.
 */
public final class LoopTimer implements ScheduledAction, Comparable<LoopTimer> {
    private static final int PENDING = 0;
    private static final int STARTED = 1;
    private static final int CANCELLED = 2;

    private final long deadline;
    private final long order;
    /** What runs when it fires; null once cancelled (read only after winning the PENDING to STARTED transition). */
    private Runnable task;
    private final Runnable onCancel;
    /** PENDING, STARTED or CANCELLED; a field, not an atomic object of its own (a timer is made per arming). */
    private volatile int state = PENDING;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(LoopTimer.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * A timer.
     *
     * @param deadline when it is due, on the loop's clock in nanoseconds
     * @param order    a sequence number that orders timers with the same deadline
     * @param task     what runs when it fires
     */
    public LoopTimer(long deadline, long order, Runnable task) {
        this(deadline, order, task, null);
    }

    /**
     * A timer that reports its cancellation.
     *
     * @param deadline when it is due, on the loop's clock in nanoseconds
     * @param order    a sequence number that orders timers with the same deadline
     * @param task     what runs when it fires
     * @param onCancel run (on the cancelling thread) after a successful {@link #cancel()}; null for none
     */
    public LoopTimer(long deadline, long order, Runnable task, Runnable onCancel) {
        this.deadline = deadline;
        this.order = order;
        this.task = Objects.requireNonNull(task, "task");
        this.onCancel = onCancel;
    }

    /** When the timer is due. */
    public long deadline() {
        return deadline;
    }

    /** Runs the task unless the timer was cancelled; a timer fires at most once. */
    public void fire() {
        if (STATE.compareAndSet(this, PENDING, STARTED)) {
            task.run();
        }
    }

    @Override
    public boolean cancel() {
        if (!STATE.compareAndSet(this, PENDING, CANCELLED)) {
            return false;
        }
        task = null;
        if (onCancel != null) {
            onCancel.run();
        }
        return true;
    }

    @Override
    public boolean isCancelled() {
        return state == CANCELLED;
    }

    @Override
    public String toString() {
        return "timer at " + deadline + " ns: " + task;
    }

    @Override
    public int compareTo(LoopTimer o) {
        int c = Long.compare(deadline, o.deadline);
        return c != 0 ? c : Long.compare(order, o.order);
    }
}
