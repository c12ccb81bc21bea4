package dev.vconn.domain;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Schedules events to continuations: Traffic Server's {@code TSContScheduleOnThread}. The event is delivered on
 * the given loop while the continuation's lock is held; the lock is only tried, and on a miss the delivery is
 * retried after {@link #LOCK_RETRY}, so scheduling never deadlocks. The returned action cancels a
 * delivery that has not started. Transports use it for NET_CONNECT, NET_CONNECT_FAILED and NET_ACCEPT.
 */
public final class ContinuationScheduler {
    /**
     * How long a delivery waits before retrying when the continuation's lock is held elsewhere; the shared VIO core
     * retries its passes after the same delay (docs/threading.md).
     */
    public static final Duration LOCK_RETRY = Duration.ofMillis(1);

    private ContinuationScheduler() {
    }

    /** Delivers {@code event} with {@code data} on {@code loop} as soon as possible (never inside this call). */
    public static ScheduledAction dispatch(EventLoop loop, Continuation continuation, Event event, Object data) {
        return schedule(loop, continuation, event, data, Duration.ZERO);
    }

    /** Delivers {@code event} with {@code data} on {@code loop} once {@code delay} has passed on its clock. */
    public static ScheduledAction schedule(EventLoop loop, Continuation continuation, Event event, Object data,
            Duration delay) {
        Delivery d = new Delivery(loop, continuation, event, data);
        if (delay.isZero()) {
            loop.execute(d);
        } else {
            d.timer = loop.schedule(d, delay);
        }
        return d;
    }

    /**
     * One scheduled delivery. It is its own PENDING/STARTED/CANCELLED state (it extends the atomic rather than holding
     * one): a dispatch allocates one object, not two, and an in-process transaction makes several.
     */
    private static final class Delivery extends AtomicInteger implements Runnable, ScheduledAction {
        private static final int PENDING = 0;
        private static final int STARTED = 1;
        private static final int CANCELLED = 2;

        private final EventLoop loop;
        private final Continuation continuation;
        private final Event event;
        private final Object data;
        volatile ScheduledAction timer;

        Delivery(EventLoop loop, Continuation continuation, Event event, Object data) {
            super(PENDING);
            this.loop = loop;
            this.continuation = Objects.requireNonNull(continuation, "continuation");
            this.event = Objects.requireNonNull(event, "event");
            this.data = data;
        }

        @Override
        public void run() {
            ReentrantLock lock = continuation.lock();
            if (!lock.tryLock()) {
                if (get() == PENDING) {
                    timer = loop.schedule(this, LOCK_RETRY);
                }
                return;
            }
            try {
                // Decided under the lock: a canceller holding the lock is never followed by the callback.
                if (!compareAndSet(PENDING, STARTED)) {
                    return;
                }
                continuation.handler().handle(event, data);
            } finally {
                lock.unlock();
            }
        }

        @Override
        public boolean cancel() {
            boolean cancelled = compareAndSet(PENDING, CANCELLED);
            ScheduledAction t = timer;
            if (cancelled && t != null) {
                t.cancel();
            }
            return cancelled;
        }

        @Override
        public boolean isCancelled() {
            return get() == CANCELLED;
        }

        @Override
        public String toString() {
            return "delivery of " + event + " to " + continuation.handler(); // not the atomic's number
        }
    }
}
