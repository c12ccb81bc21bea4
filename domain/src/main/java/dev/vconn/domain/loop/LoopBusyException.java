package dev.vconn.domain.loop;

/**
 * A driving call of a {@link VirtualTimeEventLoop} ran more tasks than its step limit without becoming idle: the
 * loop is busy without end (an endless stream, or a task that re-posts itself). The message names the tasks still
 * ready; a VConn's pass names its VConn. Drive such a loop with {@link VirtualTimeEventLoop#runFor}, or raise
 * {@link VirtualTimeEventLoop#setStepLimit}.
 */
public final class LoopBusyException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final long stepLimit;
    private final long virtualNanos;

    LoopBusyException(long stepLimit, long virtualNanos, String busy) {
        super("VirtualTimeEventLoop ran its step limit of " + stepLimit + " tasks in one driving call without "
                + "becoming idle, at virtual time " + virtualNanos + " ns; still busy: " + busy
                + ". A loop busy without end (an endless stream) is driven with runFor(Duration).");
        this.stepLimit = stepLimit;
        this.virtualNanos = virtualNanos;
    }

    /** The step limit that was reached. */
    public long stepLimit() {
        return stepLimit;
    }

    /** The loop's clock when the limit was reached, in nanoseconds. */
    public long virtualNanos() {
        return virtualNanos;
    }
}
