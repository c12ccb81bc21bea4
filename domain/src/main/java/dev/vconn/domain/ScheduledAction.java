package dev.vconn.domain;

/** A task scheduled on an {@link EventLoop} that may still be cancelled (Traffic Server's {@code TSAction}). */
public interface ScheduledAction {
    /**
     * Cancels the task if it has not started yet.
     *
     * @return {@code true} if this call prevented the task from running
     */
    boolean cancel();

    /** Whether {@link #cancel()} prevented the task from running. */
    boolean isCancelled();
}
