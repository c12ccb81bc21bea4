package dev.vconn.bench.support;

import dev.vconn.domain.EventLoop;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.ports.Transport;
import dev.vconn.ports.TransportConfig;
import dev.vconn.ports.Transports;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.LockSupport;

/** Transports as the benchmarks use them, and how the benchmark thread gets a loop's work done. */
public final class BenchTransports {
    /** How long a batch may take before the benchmark fails instead of hanging. */
    public static final Duration BATCH_TIMEOUT = Duration.ofSeconds(60);

    private BenchTransports() {
    }

    /**
     * The transport named {@code name} with one event loop: on two cores the benchmark thread and one loop thread
     * each get a core, and every implementation compared (vconn and the raw baselines) runs its I/O on one thread.
     */
    public static Transport open(String name) {
        return Transports.load(name, TransportConfig.defaults().withEventLoops(1));
    }

    /**
     * Runs {@code task} on {@code loop} and waits until {@code gate} opens. A virtual-time loop (in-memory
     * transport) has no thread: the benchmark thread runs it until idle. A real loop runs on its own thread and the
     * benchmark thread parks once per call, so one wake-up is spread over the whole batch.
     */
    public static void runBatch(EventLoop loop, Runnable task, Gate gate) {
        gate.arm();
        loop.execute(task);
        if (loop instanceof VirtualTimeEventLoop virtual) {
            virtual.runUntilIdle();
            if (!gate.isOpen()) {
                throw new IllegalStateException("the virtual loop went idle before the batch finished");
            }
            gate.check();
        } else {
            gate.await(BATCH_TIMEOUT);
        }
    }

    /** Lets {@code loop} run what was posted to it before this call (teardown: after closing VConns). */
    public static void settle(EventLoop loop) {
        Gate done = new Gate();
        runBatch(loop, done::open, done);
    }

    /**
     * Waits (setup and teardown only) until {@code condition} holds, driving a virtual loop or polling a real one.
     *
     * @throws IllegalStateException if it does not hold within {@code timeout}
     */
    public static void await(Transport transport, BooleanSupplier condition, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + timeout + " waiting for " + what);
            }
            for (EventLoop loop : transport.eventLoops()) {
                if (loop instanceof VirtualTimeEventLoop virtual) {
                    virtual.runUntil(condition, Duration.ofSeconds(1));
                }
            }
            if (!condition.getAsBoolean()) {
                LockSupport.parkNanos(1_000_000);
            }
        }
    }
}
