package dev.vconn.inmemory;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One daemon thread that is not the loop's, for the simulation's foreign-thread steps: holding a continuation's lock
 * for a while (so passes and scheduled deliveries miss it and retry) and closing a VConn from outside the loop.
 * {@link #run} blocks the calling (loop) thread until the step is done, so nothing runs concurrently and a
 * scenario stays deterministic.
 */
final class SimulationForeignThread {
    private static final ExecutorService THREAD = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "vconn-sim-foreign");
        t.setDaemon(true);
        return t;
    });

    private SimulationForeignThread() {
    }

    /** Runs {@code step} on the foreign thread and waits for it (at most 10 s of real time). */
    static void run(Runnable step) {
        try {
            THREAD.submit(step).get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the foreign thread", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("a foreign-thread step failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("a foreign-thread step did not finish within 10 s (blocked?)", e);
        }
    }
}
