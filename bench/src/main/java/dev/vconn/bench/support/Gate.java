package dev.vconn.bench.support;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * Where the benchmark thread waits for one batch of loop work. Armed by the waiting thread, opened by a loop;
 * nothing is allocated per batch, so a batch's B/op is the code under test's alone.
 */
public final class Gate {
    private volatile boolean open;
    private volatile Thread waiter;
    private volatile String failure;

    /** Closes the gate; the calling thread is the one {@link #open()} wakes. */
    public void arm() {
        failure = null;
        open = false;
        waiter = Thread.currentThread();
    }

    /** Opens the gate and wakes the waiter (any thread). */
    public void open() {
        open = true;
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }

    /** Opens the gate with a failure, which {@link #await} then throws. */
    public void fail(String why) {
        if (failure == null) {
            failure = why;
        }
        open();
    }

    /** Whether the gate is open. */
    public boolean isOpen() {
        return open;
    }

    /**
     * Waits until the gate opens.
     *
     * @throws IllegalStateException if it was opened with a failure or stayed closed for {@code timeout}
     */
    public void await(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!open) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IllegalStateException("the batch did not finish within " + timeout);
            }
            LockSupport.parkNanos(this, left);
        }
        check();
    }

    /** Throws the failure the gate was opened with, if any. */
    public void check() {
        String f = failure;
        if (f != null) {
            throw new IllegalStateException(f);
        }
    }
}
