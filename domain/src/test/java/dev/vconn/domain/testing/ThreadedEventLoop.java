package dev.vconn.domain.testing;

import dev.vconn.domain.EventLoop;
import dev.vconn.domain.ScheduledAction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real-thread {@link EventLoop} for tests: one daemon thread running a {@link ScheduledThreadPoolExecutor} of one
 * thread (tasks in posting order, timers in deadline order), {@link #inEventLoop()} by thread identity and the
 * clock from {@link System#nanoTime()}.
 *
 * <p>A task that throws does not kill the loop: the failure is recorded and {@link #failures()} returns it, so a
 * test can assert that the loop ran cleanly. {@link #close()} shuts the loop down and waits (bounded) for it.
 */
public final class ThreadedEventLoop implements EventLoop, AutoCloseable {
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final AtomicReference<Thread> thread = new AtomicReference<>();
    private final ScheduledThreadPoolExecutor executor;
    private final List<Throwable> failures = new ArrayList<>();

    /** A loop whose thread is named {@code name-N}. */
    public ThreadedEventLoop(String name) {
        String threadName = name + "-" + COUNTER.incrementAndGet();
        executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            if (!thread.compareAndSet(null, t)) {
                throw new IllegalStateException("ThreadedEventLoop made a second thread");
            }
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        executor.prestartCoreThread();
    }

    @Override
    public void execute(Runnable task) {
        Objects.requireNonNull(task, "task");
        executor.execute(() -> runGuarded(task));
    }

    @Override
    public ScheduledAction schedule(Runnable task, Duration delay) {
        Objects.requireNonNull(task, "task");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay must be >= 0, was " + delay);
        }
        Action action = new Action(task);
        action.future = executor.schedule(action::fire, delay.toNanos(), TimeUnit.NANOSECONDS);
        return action;
    }

    @Override
    public boolean inEventLoop() {
        return Thread.currentThread() == thread.get();
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    /** The loop's thread. */
    public Thread thread() {
        return thread.get();
    }

    /** Runs {@code task} on the loop and waits (at most 10 s) until it has run; rethrows what it threw. */
    public void runAndWait(Runnable task) {
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        executor.execute(() -> {
            try {
                task.run();
            } catch (Throwable t) {
                thrown.set(t);
            } finally {
                done.countDown();
            }
        });
        try {
            if (!done.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("the loop did not run the task within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        Throwable t = thrown.get();
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error err) {
            throw err;
        }
    }

    /** Waits (at most 10 s) until every task posted before this call has run. */
    public void drain() {
        runAndWait(() -> { });
    }

    /** What tasks threw, in order. */
    public List<Throwable> failures() {
        synchronized (failures) {
            return List.copyOf(failures);
        }
    }

    /** Shuts the loop down, dropping pending timers, and waits (at most 10 s) for its thread to finish. */
    @Override
    public void close() {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                executor.shutdownNow();
                throw new AssertionError("ThreadedEventLoop did not stop within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private void runGuarded(Runnable task) {
        try {
            task.run();
        } catch (Throwable t) {
            synchronized (failures) {
                failures.add(t);
            }
        }
    }

    @Override
    public String toString() {
        Thread t = thread.get();
        return "ThreadedEventLoop[" + (t == null ? "?" : t.getName()) + "]";
    }

    private final class Action implements ScheduledAction {
        private static final int PENDING = 0;
        private static final int STARTED = 1;
        private static final int CANCELLED = 2;

        private final Runnable task;
        private final AtomicInteger state = new AtomicInteger(PENDING);
        volatile ScheduledFuture<?> future;

        Action(Runnable task) {
            this.task = task;
        }

        void fire() {
            if (state.compareAndSet(PENDING, STARTED)) {
                runGuarded(task);
            }
        }

        @Override
        public boolean cancel() {
            if (!state.compareAndSet(PENDING, CANCELLED)) {
                return false;
            }
            ScheduledFuture<?> f = future;
            if (f != null) {
                f.cancel(false);
            }
            return true;
        }

        @Override
        public boolean isCancelled() {
            return state.get() == CANCELLED;
        }
    }
}
