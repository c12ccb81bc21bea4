package dev.vconn.domain;

import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An event callback plus the lock it runs under: Traffic Server's continuation with its mutex.
 *
 * <p>Every event is delivered while the continuation's lock is held by the delivering thread. Several
 * continuations may share one lock (as a transaction shares its lock with its transforms); then no two of them
 * run at once. Internals only {@code tryLock} a continuation's lock and retry later on a miss, so a user may hold
 * its own lock while calling into any VConn without risking a lock-order deadlock.
 */
public final class Continuation {
    private final EventHandler handler;
    private final ReentrantLock lock;

    /** A continuation with a lock of its own. */
    public Continuation(EventHandler handler) {
        this(handler, new ReentrantLock());
    }

    /** A continuation that runs under the given lock, possibly shared with other continuations. */
    public Continuation(EventHandler handler, ReentrantLock lock) {
        this.handler = Objects.requireNonNull(handler, "handler");
        this.lock = Objects.requireNonNull(lock, "lock");
    }

    /** A continuation sharing {@code other}'s lock. */
    public static Continuation sharingLockWith(Continuation other, EventHandler handler) {
        return new Continuation(handler, other.lock);
    }

    /** The event callback. */
    public EventHandler handler() {
        return handler;
    }

    /** The lock held while this continuation runs. */
    public ReentrantLock lock() {
        return lock;
    }

    /**
     * Calls the handler synchronously (Traffic Server's {@code TSContCall}); the calling thread must hold the lock.
     *
     * @throws IllegalStateException if the calling thread does not hold this continuation's lock
     */
    public void call(Event event, Object data) {
        if (!lock.isHeldByCurrentThread()) {
            throw new IllegalStateException(
                    "Continuation.call needs the continuation's lock held by the calling thread (callbacks run under their lock)");
        }
        handler.handle(event, data);
    }

    @Override
    public String toString() {
        return "Continuation[" + handler + "]";
    }
}
