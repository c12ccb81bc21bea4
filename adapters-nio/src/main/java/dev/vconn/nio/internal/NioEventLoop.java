package dev.vconn.nio.internal;

import dev.vconn.domain.EventLoop;
import dev.vconn.domain.ScheduledAction;
import dev.vconn.domain.spi.LoopTimer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread with its own {@link Selector}: runs ready I/O handlers, due timers and posted tasks, in that order,
 * once per round. Posting from another thread wakes the selector at most once per round (a flag that the loop
 * clears after each select), and an idle loop blocks in {@code select} until the next timer: no busy spinning.
 *
 * <p>While tasks are queued a round polls the selector ({@code selectNow}, a system call) only if some channel is
 * registered and the last poll is at least {@link #MAX_POLL_DEFERRAL_NANOS} old; other rounds go straight to timers
 * and tasks. So work that never leaves the loop (an in-process pair, an intercepted transaction) makes no system
 * call, and a flood of tasks delays socket I/O by at most that bound plus one round (docs/nio-adapter.md, "Rounds").
 */
public final class NioEventLoop implements EventLoop {
    private static final Logger log = LoggerFactory.getLogger(NioEventLoop.class);

    /** What a selection key's attachment does when its channel is ready. */
    public interface Handler {
        /** Called on the loop with the key's ready operations. */
        void ready(int readyOps);
    }

    private final Selector selector;
    private final Thread thread;
    /** Tasks posted from other threads; the loop moves them to {@link #tasks} in order. */
    private final Queue<Runnable> remoteTasks = new ConcurrentLinkedQueue<>();
    /**
     * The tasks to run, in posting order; loop thread only. An array ring: a task posted on the loop (most of them,
     * an in-process transaction's all of them) costs no queue node.
     */
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>(64);
    private final PriorityQueue<LoopTimer> timers = new PriorityQueue<>();
    /**
     * Timers cancelled on the loop that may still be in {@link #timers}; loop thread only. A cancelled timer leaves
     * the queue when it reaches the head, or in bulk once they are half of the queue: a queue whose head is a live
     * timer due in 30 s must not keep every timer cancelled behind it for 30 s.
     */
    private int cancelledTimers;
    private final Runnable onTimerCancelled = this::timerCancelled;
    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    private final AtomicInteger timerSequence = new AtomicInteger();
    private volatile boolean running = true;
    private final java.util.concurrent.atomic.AtomicLong wakeups = new java.util.concurrent.atomic.AtomicLong();
    private volatile long rounds;
    private volatile long selects;
    /** When the loop last polled or waited on the selector ({@link #nanoTime()}); loop thread only. */
    private long lastSelectNanos;
    /**
     * Runs a ready key's handler while the selector reports it ({@code select(Consumer)}): no selected-key set to
     * fill and empty (a hash-set entry and an iterator step per ready key, two per proxied request).
     */
    private final Consumer<SelectionKey> selectedKeyHandler = this::processSelectedKey;
    /** Socket VConns pinned to this loop and not yet closed: what a listener balances on (docs/nio-adapter.md). */
    private final AtomicInteger liveSockets = new AtomicInteger();
    /** The loop thread is inside a select, running ready handlers; a select cannot be nested. Loop thread only. */
    private boolean inSelect;

    /**
     * The longest a loop with queued tasks goes without polling its registered channels: the bound on how long a
     * task flood can hold back socket I/O, short next to a network round trip, long next to one task.
     */
    static final long MAX_POLL_DEFERRAL_NANOS = TimeUnit.MICROSECONDS.toNanos(100);

    /** Below this many cancelled timers the queue is not scanned: they leave at the head soon enough. */
    static final int MIN_CANCELLED_TO_DROP = 64;

    /** Opens the selector and starts the loop's thread. */
    public NioEventLoop(String name) {
        try {
            this.selector = Selector.open();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a selector", e);
        }
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    @Override
    public void execute(Runnable task) {
        Objects.requireNonNull(task, "task");
        if (inEventLoop()) {
            // Tasks other threads posted before this one run before it: posting order is kept across threads.
            moveRemoteTasks();
            tasks.add(task);
        } else {
            remoteTasks.add(task);
            wakeup();
        }
    }

    private void moveRemoteTasks() {
        Runnable task;
        while ((task = remoteTasks.poll()) != null) {
            tasks.add(task);
        }
    }

    @Override
    public ScheduledAction schedule(Runnable task, Duration delay) {
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay must be >= 0, was " + delay);
        }
        LoopTimer timer = new LoopTimer(nanoTime() + delay.toNanos(), timerSequence.getAndIncrement(), task,
                onTimerCancelled);
        if (inEventLoop()) {
            timers.add(timer);
        } else {
            execute(() -> timers.add(timer));
        }
        return timer;
    }

    @Override
    public boolean inEventLoop() {
        return Thread.currentThread() == thread;
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    /** Socket VConns pinned to this loop that are not closed yet (any thread may read it). */
    public int liveSockets() {
        return liveSockets.get();
    }

    void socketOpened() {
        liveSockets.incrementAndGet();
    }

    void socketClosed() {
        liveSockets.decrementAndGet();
    }

    /** Registers a channel with this loop's selector (thread-safe; wakes the loop so the key takes effect). */
    public SelectionKey register(SelectableChannel channel, int ops, Handler handler) throws ClosedChannelException {
        SelectionKey key = channel.register(selector, ops, handler);
        if (!inEventLoop() && ops != 0) {
            wakeup();
        }
        return key;
    }

    /**
     * Cancels {@code key} and closes its channel for real before returning. The JDK defers the close of a
     * registered channel until its key is deregistered by a select, so a listening socket closed from another
     * thread would keep accepting until the loop's next round; this runs the close and a {@code selectNow} on the
     * loop and waits (bounded) for it. Called by a ready handler (inside the loop's select, which cannot be nested;
     * socket VConns run their passes there), it cancels the key, returns, and the close runs with the same round's
     * tasks.
     */
    public void closeNow(SelectionKey key, java.nio.channels.Channel channel) {
        Runnable close = () -> {
            key.cancel();
            try {
                channel.close();
                selector.selectNow(); // deregisters the key, which releases the file descriptor
                if (wakeupPending.get()) {
                    // selectNow consumed a wake-up another thread relies on (its flag is still set, so it will not
                    // wake us again): re-arm it, or the next select would sleep with tasks queued.
                    selector.wakeup();
                }
            } catch (IOException | java.nio.channels.ClosedSelectorException e) {
                log.debug("closing {} failed", channel, e);
            }
        };
        if (inSelect && inEventLoop()) {
            // Called by a ready handler (a VConn pass run from its ready key, whose callback closes a listener): the
            // selector cannot poll from inside its own select. The key is cancelled now, so no handler of it runs
            // again, even later in this select; the close runs with this round's tasks.
            key.cancel();
            execute(close);
            return;
        }
        if (inEventLoop() || !running) {
            close.run();
            return;
        }
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        execute(() -> {
            try {
                close.run();
            } finally {
                done.countDown();
            }
        });
        try {
            if (!done.await(5, TimeUnit.SECONDS)) {
                log.warn("{} did not close {} within 5 s", thread.getName(), channel);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether the loop still runs. */
    public boolean isRunning() {
        return running;
    }

    /** Stops the loop and waits up to {@code timeout} for its thread to end. */
    public void shutdown(Duration timeout) {
        running = false;
        wakeup();
        if (!inEventLoop()) {
            try {
                thread.join(Math.max(1, timeout.toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void wakeup() {
        if (wakeupPending.compareAndSet(false, true)) {
            wakeups.incrementAndGet();
            selector.wakeup();
        }
    }

    /** How many times another thread actually woke the selector (coalesced: at most one per round). */
    public long wakeups() {
        return wakeups.get();
    }

    /** How many rounds the loop has run (a round with queued tasks may skip the select: see the class comment). */
    public long rounds() {
        return rounds;
    }

    /** How many times the loop polled or waited on its selector (at most one per round). */
    public long selects() {
        return selects;
    }

    private void run() {
        try {
            while (running) {
                if (select()) {
                    wakeupPending.set(false);
                }
                rounds++;
                processSelectedKeys();
                runDueTimers();
                runTasks();
            }
        } catch (Throwable t) {
            log.error("event loop {} stopped by an unexpected failure", thread.getName(), t);
        } finally {
            runTasks(); // close work posted while stopping
            try {
                selector.close();
            } catch (IOException e) {
                log.debug("closing the selector of {} failed", thread.getName(), e);
            }
        }
    }

    /** Polls or waits on the selector, unless tasks are queued and a poll is not due; returns whether it did. */
    private boolean select() throws IOException {
        if (!tasks.isEmpty() || !remoteTasks.isEmpty()) {
            // Keys include cancelled ones not yet deregistered, so a channel closed on this loop still gets the
            // select that releases its descriptor, within the same bound.
            if (selector.keys().isEmpty() || nanoTime() - lastSelectNanos < MAX_POLL_DEFERRAL_NANOS) {
                return false;
            }
            inSelect = true;
            try {
                selector.selectNow(selectedKeyHandler);
            } finally {
                inSelect = false;
            }
            selected();
            return true;
        }
        LoopTimer next = nextTimer();
        inSelect = true;
        try {
            if (next == null) {
                selector.select(selectedKeyHandler);
            } else {
                long waitNanos = next.deadline() - nanoTime();
                if (waitNanos <= 0) {
                    selector.selectNow(selectedKeyHandler);
                } else {
                    selector.select(selectedKeyHandler, Math.max(1, TimeUnit.NANOSECONDS.toMillis(waitNanos)));
                }
            }
        } finally {
            inSelect = false;
        }
        selected();
        return true;
    }

    private void selected() {
        lastSelectNanos = nanoTime();
        selects++;
    }

    /**
     * Handles keys left in the selected-key set: only {@link #closeNow}'s {@code selectNow()} puts any there (the
     * loop's own selects hand ready keys to {@link #processSelectedKey} directly).
     */
    private void processSelectedKeys() {
        Set<SelectionKey> selected = selector.selectedKeys();
        if (selected.isEmpty()) {
            return; // every round but one after a closeNow: no iterator
        }
        Iterator<SelectionKey> it = selected.iterator();
        while (it.hasNext()) {
            SelectionKey key = it.next();
            it.remove();
            processSelectedKey(key);
        }
    }

    private void processSelectedKey(SelectionKey key) {
        if (!key.isValid()) {
            return;
        }
        try {
            ((Handler) key.attachment()).ready(key.readyOps());
        } catch (RuntimeException e) {
            log.error("I/O handler {} failed", key.attachment(), e);
        }
    }

    /** How many timers the loop's queue holds, live and cancelled-not-yet-dropped; loop thread only. */
    int timerQueueSize() {
        return timers.size();
    }

    private void timerCancelled() {
        // Cancels from other threads are not counted (the counter is the loop's): those timers leave at the head or
        // with the next bulk drop.
        if (inEventLoop()) {
            cancelledTimers++;
        }
    }

    /** Drops the cancelled timers once they are at least half of the queue (linear, so amortised per cancel). */
    private void dropCancelledTimers() {
        if (cancelledTimers >= MIN_CANCELLED_TO_DROP && cancelledTimers * 2 >= timers.size()) {
            timers.removeIf(LoopTimer::isCancelled);
            cancelledTimers = 0;
        }
    }

    private LoopTimer nextTimer() {
        LoopTimer t = timers.peek();
        while (t != null && t.isCancelled()) {
            timers.poll();
            if (cancelledTimers > 0) {
                cancelledTimers--;
            }
            t = timers.peek();
        }
        return t;
    }

    private void runDueTimers() {
        dropCancelledTimers();
        long now = nanoTime();
        LoopTimer t;
        while ((t = nextTimer()) != null && t.deadline() <= now) {
            timers.poll();
            safeRun(t::fire);
        }
    }

    private void runTasks() {
        // Run what is queued now; tasks posted meanwhile wait for the next round so I/O is not starved.
        moveRemoteTasks();
        for (int n = tasks.size(); n > 0; n--) {
            Runnable task = tasks.poll();
            if (task == null) {
                break;
            }
            safeRun(task);
        }
    }

    private void safeRun(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            log.error("task {} failed on {}", task, thread.getName(), e);
        }
    }

    @Override
    public String toString() {
        return thread.getName();
    }
}
