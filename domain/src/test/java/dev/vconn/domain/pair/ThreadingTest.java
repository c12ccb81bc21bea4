package dev.vconn.domain.pair;

import static dev.vconn.domain.Event.ACTIVE_TIMEOUT;
import static dev.vconn.domain.Event.EOS;
import static dev.vconn.domain.Event.ERROR;
import static dev.vconn.domain.Event.INACTIVITY_TIMEOUT;
import static dev.vconn.domain.Event.READ_COMPLETE;
import static dev.vconn.domain.Event.READ_READY;
import static dev.vconn.domain.Event.WRITE_COMPLETE;
import static dev.vconn.domain.Event.WRITE_READY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VIO;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.spi.AbstractVConn;
import dev.vconn.domain.testing.BytePattern;
import dev.vconn.domain.testing.EventLog;
import dev.vconn.domain.testing.ThreadedEventLoop;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * docs/semantics.md, rules 2.1–2.5: threads, continuations and locks. Virtual-loop tests drive the deterministic
 * loop from the test thread; real-thread tests run a {@link ThreadedEventLoop} and wait on latches with bounded
 * (10 s) timeouts, never on the passing of time.
 */
class ThreadingTest extends PairFixture {
    static final long LIMIT = 32 * 1024; // max(water mark 0, blockSize(8))
    static final long WAIT_SECONDS = 10;

    private final List<ThreadedEventLoop> threadedLoops = new ArrayList<>();

    ThreadedEventLoop threadedLoop() {
        ThreadedEventLoop l = new ThreadedEventLoop("vconn-threading-test");
        threadedLoops.add(l);
        return l;
    }

    /** Runs before the fixture's check: every real loop is stopped and ran without a task failing. */
    @AfterEach
    void stopThreadedLoops() {
        for (ThreadedEventLoop l : threadedLoops) {
            l.close();
        }
        for (ThreadedEventLoop l : threadedLoops) {
            assertEquals(List.of(), l.failures(), "tasks that threw on " + l);
        }
    }

    static void await(CountDownLatch latch, String what) throws InterruptedException {
        assertTrue(latch.await(WAIT_SECONDS, TimeUnit.SECONDS), "timed out (" + WAIT_SECONDS + " s) waiting for " + what);
    }

    /** A foreign thread whose failure is rethrown by {@link #join()}. */
    static final class Foreign {
        private final Thread thread;
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        Foreign(String name, ThrowingRunnable body) {
            thread = new Thread(() -> {
                try {
                    body.run();
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, name);
            thread.setDaemon(true);
            thread.start();
        }

        void join() throws InterruptedException {
            thread.join(WAIT_SECONDS * 1000);
            assertFalse(thread.isAlive(), thread.getName() + " did not finish within " + WAIT_SECONDS + " s");
            Throwable t = failure.get();
            if (t != null) {
                throw new AssertionError(thread.getName() + " failed", t);
            }
        }
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** Holds a lock on a foreign thread (lock, signal, wait on a latch) until {@link #release()}. */
    static final class LockHolder {
        private final CountDownLatch held = new CountDownLatch(1);
        private final CountDownLatch release = new CountDownLatch(1);
        private final Foreign thread;

        LockHolder(ReentrantLock lock) throws InterruptedException {
            thread = new Foreign("lock-holder", () -> {
                lock.lock();
                try {
                    held.countDown();
                    assertTrue(release.await(WAIT_SECONDS, TimeUnit.SECONDS), "never released");
                } finally {
                    lock.unlock();
                }
            });
            await(held, "the foreign thread to take the lock");
            assertTrue(lock.isLocked());
        }

        void release() throws InterruptedException {
            release.countDown();
            thread.join();
        }
    }

    /**
     * A lock that, just before its next {@code tryLock()}, lets a foreign thread take it, run an action and release
     * it. This makes one real interleaving deterministic: another thread acting under the continuation's lock
     * between the core's checks and its {@code tryLock}.
     */
    static final class InterleavingLock extends ReentrantLock {
        private final AtomicReference<ThrowingRunnable> beforeNextTryLock = new AtomicReference<>();
        private volatile boolean fired;

        void beforeNextTryLock(ThrowingRunnable action) {
            beforeNextTryLock.set(action);
        }

        boolean fired() {
            return fired;
        }

        @Override
        public boolean tryLock() {
            ThrowingRunnable action = beforeNextTryLock.getAndSet(null);
            if (action != null) {
                fired = true;
                try {
                    new Foreign("acts-under-the-lock", () -> {
                        lock();
                        try {
                            action.run();
                        } finally {
                            unlock();
                        }
                    }).join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(e);
                }
            }
            return super.tryLock();
        }
    }

    /** Where and how one event was delivered. */
    record Seen(Event event, Thread thread, boolean inEventLoop, boolean lockHeld) {
    }

    /** An EventLog that also records the delivering thread, inEventLoop() and the lock, then runs {@code then}. */
    static EventLog probe(EventLoop l, List<Seen> seen, java.util.function.BiConsumer<Event, Object> then) {
        EventLog log = new EventLog();
        log.onEvent((e, d) -> {
            seen.add(new Seen(e, Thread.currentThread(), l.inEventLoop(),
                    log.continuation().lock().isHeldByCurrentThread()));
            then.accept(e, d);
        });
        return log;
    }

    IOBuffer filled(byte[] data) {
        IOBuffer b = buffer();
        if (data != null) {
            b.write(data);
        }
        return b;
    }

    static byte[] drain(IOBufferReader reader) {
        byte[] b = new byte[(int) reader.readAvail()];
        reader.read(b, 0, b.length);
        return b;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Never synchronous

    @Test
    void read_write_reenable_setnbytes_shutdown_and_close_never_call_back_synchronously() {
        VConnPair pair = pair();
        VConn active = pair.active();
        VConn passive = pair.passive();
        IOBuffer in = buffer();
        IOBufferReader inReader = in.allocReader();

        // write: held, because nobody reads yet
        EventLog writer = new EventLog();
        IOBuffer out = filled(null);
        IOBufferReader outReader = out.allocReader();
        out.write(bytes(30, 1));
        active.write(writer.continuation(), 30, outReader);
        assertEquals(List.of(), writer.events(), "write() delivered synchronously");
        assertTrue(loop.readyCount() > 0, "write() posted its work to the loop");
        loop.runUntilIdle();
        assertEquals(List.of(), writer.events());

        // read: the held bytes move only when the loop runs
        EventLog reader = new EventLog();
        ReadVio rv = passive.read(reader.continuation(), 100, in);
        assertEquals(List.of(), reader.events(), "read() delivered synchronously");
        assertEquals(List.of(), writer.events());
        assertTrue(loop.readyCount() > 0);
        loop.runUntilIdle();
        assertEquals(List.of(READ_READY), reader.events());
        assertEquals(List.of(WRITE_COMPLETE), writer.events());

        // setNBytes + reenable
        rv.setNBytes(30);
        assertEquals(List.of(READ_READY), reader.events(), "setNBytes() delivered synchronously");
        rv.reenable();
        assertEquals(List.of(READ_READY), reader.events(), "reenable() delivered synchronously");
        assertTrue(loop.readyCount() > 0);
        loop.runUntilIdle();
        assertEquals(List.of(READ_READY, READ_COMPLETE), reader.events());

        // a write whose data is taken at once by a posted read
        EventLog reader2 = new EventLog();
        passive.read(reader2.continuation(), 50, in);
        loop.runUntilIdle();
        EventLog writer2 = new EventLog();
        out.write(bytes(50, 2));
        active.write(writer2.continuation(), 50, outReader);
        assertEquals(List.of(), writer2.events(), "write() delivered synchronously");
        assertEquals(List.of(), reader2.events());
        loop.runUntilIdle();
        assertEquals(List.of(WRITE_COMPLETE), writer2.events());
        assertEquals(List.of(READ_COMPLETE), reader2.events());

        // reenable of a write that asked for data
        EventLog reader3 = new EventLog();
        passive.read(reader3.continuation(), 1000, in);
        EventLog writer3 = new EventLog();
        WriteVio wv3 = active.write(writer3.continuation(), 20, outReader);
        loop.runUntilIdle();
        assertEquals(List.of(WRITE_READY), writer3.events(), "an empty write asks for data");
        out.write(bytes(20, 3));
        wv3.reenable();
        assertEquals(List.of(WRITE_READY), writer3.events(), "reenable() delivered synchronously");
        assertEquals(List.of(), reader3.events());
        loop.runUntilIdle();
        assertEquals(List.of(WRITE_READY, WRITE_COMPLETE), writer3.events());
        assertEquals(List.of(READ_READY), reader3.events());

        // shutdown
        active.shutdown(ShutdownHow.WRITE);
        assertEquals(List.of(READ_READY), reader3.events(), "shutdown() delivered synchronously");
        assertTrue(loop.readyCount() > 0);
        loop.runUntilIdle();
        assertEquals(List.of(READ_READY, EOS), reader3.events());

        // close
        EventLog reader4 = new EventLog();
        IOBuffer in4 = buffer();
        in4.allocReader();
        active.read(reader4.continuation(), 100, in4);
        EventLog writer4 = new EventLog();
        IOBuffer out4 = filled(null);
        IOBufferReader out4Reader = out4.allocReader();
        out4.write(bytes(10, 4));
        passive.write(writer4.continuation(), 10, out4Reader);
        loop.runUntilIdle();
        assertEquals(List.of(READ_READY), reader4.events());
        assertEquals(List.of(WRITE_COMPLETE), writer4.events());
        passive.close();
        assertEquals(List.of(READ_READY), reader4.events(), "close() delivered synchronously");
        assertTrue(loop.readyCount() > 0);
        loop.runUntilIdle();
        assertEquals(List.of(READ_READY, EOS), reader4.events());

        assertEquals(30 + 50 + 20, inReader.readAvail());
        for (EventLog log : List.of(reader, reader2, reader3, reader4, writer, writer2, writer3, writer4)) {
            assertNull(log.lockViolation());
        }
    }

    @Test
    void calls_made_inside_a_callback_never_re_enter_a_callback() {
        VConnPair pair = pair();
        IOBuffer in = buffer();
        IOBufferReader inReader = in.allocReader();
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        int[] depth = {0};
        int[] maxDepth = {0};
        long[] received = {0};
        long[] added = {0};
        WriteVio[] wv = new WriteVio[1];
        BytePattern pattern = new BytePattern(9);

        EventLog writer = new EventLog();
        writer.onEvent((e, d) -> {
            maxDepth[0] = Math.max(maxDepth[0], ++depth[0]);
            try {
                if (e == WRITE_READY && added[0] < 100_000) {
                    pattern.write(out, added[0], 4000);
                    added[0] += 4000;
                    wv[0].reenable();
                    if (added[0] == 100_000) {
                        wv[0].setNBytes(added[0]);
                        wv[0].reenable();
                    }
                } else if (e == WRITE_COMPLETE) {
                    pair.active().shutdown(ShutdownHow.WRITE);
                }
            } finally {
                depth[0]--;
            }
        });
        EventLog reader = new EventLog();
        reader.onEvent((e, d) -> {
            maxDepth[0] = Math.max(maxDepth[0], ++depth[0]);
            try {
                received[0] += pattern.consumeAndCheck(inReader, received[0]);
                ((VIO) d).reenable();
                if (e == EOS) {
                    pair.passive().close();
                    pair.active().close();
                }
            } finally {
                depth[0]--;
            }
        });
        pair.passive().read(reader.continuation(), Long.MAX_VALUE, in);
        wv[0] = pair.active().write(writer.continuation(), Long.MAX_VALUE, outReader);
        loop.runUntilIdle();

        assertEquals(1, maxDepth[0], "a callback was entered from inside another callback");
        assertEquals(100_000, received[0]);
        assertEquals(WRITE_COMPLETE, writer.last().event());
        assertEquals(1, writer.count(WRITE_COMPLETE));
        assertEquals(EOS, reader.last().event());
        assertEquals(1, reader.count(EOS));
        assertTrue(pair.isFreed());
    }

    // ------------------------------------------------------------------------------------------------------------
    // On the loop thread, under the continuation's lock

    @Test
    void every_kind_of_event_is_delivered_on_the_loop_under_the_continuations_lock() {
        VConnPair pair = pair();
        VConn active = pair.active();
        VConn passive = pair.passive();
        List<Seen> seen = new ArrayList<>();
        EventLog r1 = probe(loop, seen, (e, d) -> { });
        EventLog w1 = probe(loop, seen, (e, d) -> { });
        EventLog w2 = probe(loop, seen, (e, d) -> { });
        EventLog r2 = probe(loop, seen, (e, d) -> { });

        IOBuffer in = buffer();
        in.allocReader();
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        out.write(bytes(50, 1));
        passive.read(r1.continuation(), 100, in);
        WriteVio wv1 = active.write(w1.continuation(), 100, outReader);
        loop.runUntilIdle();
        out.write(bytes(50, 2));
        wv1.reenable();
        loop.runUntilIdle();
        assertEquals(List.of(READ_READY, READ_COMPLETE), r1.events());
        assertEquals(WRITE_COMPLETE, w1.last().event());

        IOBuffer out2 = buffer();
        passive.write(w2.continuation(), 100, out2.allocReader()); // the active end reads nothing: held
        passive.setInactivityTimeout(Duration.ofSeconds(1));
        passive.setActiveTimeout(Duration.ofSeconds(2));
        loop.advance(Duration.ofSeconds(2));
        assertEquals(List.of(WRITE_READY, INACTIVITY_TIMEOUT, ACTIVE_TIMEOUT), w2.events());
        passive.cancelInactivityTimeout();

        passive.read(r2.continuation(), 100, in);
        active.shutdown(ShutdownHow.WRITE);
        loop.runUntilIdle();
        assertEquals(List.of(EOS), r2.events());
        active.shutdown(ShutdownHow.READ);
        loop.runUntilIdle();
        assertEquals(ERROR, w2.last().event());

        Set<Event> kinds = EnumSet.noneOf(Event.class);
        for (Seen s : seen) {
            kinds.add(s.event());
            assertSame(Thread.currentThread(), s.thread(), s + ": the virtual loop's driver is the loop thread");
            assertTrue(s.inEventLoop(), s + " delivered outside the loop");
            assertTrue(s.lockHeld(), s + " delivered without the continuation's lock");
        }
        assertEquals(EnumSet.of(READ_READY, READ_COMPLETE, WRITE_READY, WRITE_COMPLETE, EOS, ERROR,
                INACTIVITY_TIMEOUT, ACTIVE_TIMEOUT), kinds);
        for (EventLog log : List.of(r1, r2, w1, w2)) {
            assertNull(log.lockViolation());
        }
    }

    @Test
    void on_a_real_loop_every_event_runs_on_the_loop_thread_under_the_lock() throws Exception {
        ThreadedEventLoop tl = threadedLoop();
        CountDownLatch freed = new CountDownLatch(1);
        AtomicReference<Boolean> freedOnLoop = new AtomicReference<>();
        VConnPair pair = VConnPair.open(tl, VConnPair.Options.defaults(), p -> {
            freedOnLoop.set(tl.inEventLoop());
            freed.countDown();
        });
        int total = 256 * 1024;
        List<Seen> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch ends = new CountDownLatch(4);
        List<IOBuffer> buffers = new ArrayList<>();
        List<EventLog> logs = new ArrayList<>();
        long[] received = new long[2];
        int i = 0;
        for (VConn[] dir : new VConn[][] {{pair.active(), pair.passive()}, {pair.passive(), pair.active()}}) {
            int d = i++;
            BytePattern pattern = new BytePattern(d + 1);
            IOBuffer out = new IOBuffer(pool);
            IOBufferReader outReader = out.allocReader();
            pattern.write(out, 0, total);
            IOBuffer in = new IOBuffer(pool);
            IOBufferReader inReader = in.allocReader();
            buffers.add(out);
            buffers.add(in);
            EventLog writer = probe(tl, seen, (e, x) -> {
                if (e == WRITE_COMPLETE) {
                    ends.countDown();
                }
            });
            EventLog reader = probe(tl, seen, (e, x) -> {
                received[d] += pattern.consumeAndCheck(inReader, received[d]);
                if (e == READ_COMPLETE) {
                    ends.countDown();
                }
            });
            logs.add(writer);
            logs.add(reader);
            dir[1].read(reader.continuation(), total, in);
            dir[0].write(writer.continuation(), total, outReader);
        }
        await(ends, "both directions to complete");
        pair.active().close();
        pair.passive().close();
        await(freed, "the pair to be freed");
        tl.runAndWait(() -> buffers.forEach(IOBuffer::close));

        assertEquals(total, received[0]);
        assertEquals(total, received[1]);
        assertTrue(freedOnLoop.get(), "onFreed runs on the loop");
        assertTrue(seen.size() >= 4);
        for (Seen s : List.copyOf(seen)) {
            assertSame(tl.thread(), s.thread(), s + " delivered on a foreign thread");
            assertTrue(s.inEventLoop(), s + ": inEventLoop() false inside a callback");
            assertTrue(s.lockHeld(), s + " delivered without the continuation's lock");
        }
        for (EventLog log : logs) {
            assertNull(log.lockViolation());
            Event last = log.last().event();
            assertTrue(last == READ_COMPLETE || last == WRITE_COMPLETE, "ended with " + last);
            assertEquals(1, log.count(last), "COMPLETE exactly once");
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Continuations sharing one lock

    @Test
    void continuations_sharing_a_lock_all_wait_while_it_is_held_then_all_get_their_events() throws Exception {
        VConnPair pair1 = pair();
        VConnPair pair2 = pair();
        EventLog a = new EventLog();
        EventLog b = new EventLog(a.continuation()); // Continuation.sharingLockWith
        assertSame(a.continuation().lock(), b.continuation().lock());
        IOBuffer inA = buffer();
        inA.allocReader();
        IOBuffer inB = buffer();
        inB.allocReader();
        pair1.passive().read(a.continuation(), 1000, inA);
        pair2.passive().read(b.continuation(), 1000, inB);

        LockHolder holder = new LockHolder(a.continuation().lock());
        IOBuffer out1 = filled(null);
        IOBufferReader out1Reader = out1.allocReader();
        out1.write(bytes(100, 1));
        IOBuffer out2 = filled(null);
        IOBufferReader out2Reader = out2.allocReader();
        out2.write(bytes(100, 2));
        pair1.active().write(new EventLog().continuation(), 100, out1Reader);
        pair2.active().write(new EventLog().continuation(), 100, out2Reader);
        loop.runReady();
        loop.advance(Duration.ofMillis(10));
        assertEquals(List.of(), a.events(), "a shares the held lock");
        assertEquals(List.of(), b.events(), "b shares the held lock");
        holder.release();
        loop.advance(AbstractVConn.LOCK_RETRY);
        assertEquals(List.of(READ_READY), a.events());
        assertEquals(List.of(READ_READY), b.events());
        assertEquals(100, a.last().ndone());
        assertEquals(100, b.last().ndone());
        assertNull(a.lockViolation());
        assertNull(b.lockViolation());
    }

    /**
     * Two pairs on two real loops; their readers' continuations share one lock. Both stream 1 MiB; the handlers
     * count how many of them are inside at once, which must never exceed one.
     */
    @Test
    void continuations_sharing_a_lock_on_two_real_loops_both_get_events_never_concurrently() throws Exception {
        int total = 1 << 20;
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        CountDownLatch complete = new CountDownLatch(2);
        CountDownLatch freed = new CountDownLatch(2);
        long[] received = new long[2];
        long[] readyEvents = new long[2];
        EventLog[] readers = new EventLog[2];
        List<Runnable> cleanups = new ArrayList<>();
        List<VConnPair> pairs = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            int k = i;
            ThreadedEventLoop tl = threadedLoop();
            VConnPair pair = VConnPair.open(tl, VConnPair.Options.defaults(), p -> freed.countDown());
            pairs.add(pair);
            BytePattern pattern = new BytePattern(k + 7);
            IOBuffer in = new IOBuffer(pool);
            IOBufferReader inReader = in.allocReader();
            IOBuffer out = new IOBuffer(pool);
            IOBufferReader outReader = out.allocReader();
            cleanups.add(() -> tl.runAndWait(() -> {
                in.close();
                out.close();
            }));
            readers[k] = k == 0 ? new EventLog() : new EventLog(readers[0].continuation());
            readers[k].onEvent((e, d) -> {
                if (inside.incrementAndGet() != 1) {
                    overlaps.incrementAndGet();
                }
                try {
                    received[k] += pattern.consumeAndCheck(inReader, received[k]);
                    if (e == READ_READY) {
                        readyEvents[k]++;
                    } else if (e == READ_COMPLETE) {
                        complete.countDown();
                    }
                } finally {
                    inside.decrementAndGet();
                }
            });
            long[] added = {0};
            EventLog writer = new EventLog().onEvent((e, d) -> {
                if (e == WRITE_READY && added[0] < total && outReader.readAvail() < 64 * 1024) {
                    pattern.write(out, added[0], 32 * 1024);
                    added[0] += 32 * 1024;
                }
            });
            pair.passive().read(readers[k].continuation(), total, in);
            pair.active().write(writer.continuation(), total, outReader);
        }
        try {
            await(complete, "both readers to complete");
        } finally {
            for (VConnPair pair : pairs) {
                pair.active().close();
                pair.passive().close();
            }
            await(freed, "both pairs to be freed");
            cleanups.forEach(Runnable::run);
        }
        assertEquals(0, overlaps.get(), "two continuations sharing a lock ran at the same time");
        assertEquals(total, received[0]);
        assertEquals(total, received[1]);
        assertTrue(readyEvents[0] > 0 && readyEvents[1] > 0, "both got READ_READY events");
        assertNull(readers[0].lockViolation());
        assertNull(readers[1].lockViolation());
    }

    // ------------------------------------------------------------------------------------------------------------
    // A busy lock: retried after LOCK_RETRY, nothing lost or duplicated

    @Test
    void a_busy_reader_lock_delays_delivery_until_released_without_losing_or_duplicating_events()
            throws Exception {
        VConnPair pair = pair();
        EventLog reader = new EventLog();
        IOBuffer in = buffer();
        IOBufferReader inReader = in.allocReader();
        ReadVio rv = pair.passive().read(reader.continuation(), 300, in);
        EventLog writer = new EventLog();
        IOBuffer out = filled(null);
        IOBufferReader outReader = out.allocReader();
        byte[] data = bytes(300, 5);
        out.write(data, 0, 100);
        pair.active().write(writer.continuation(), 100, outReader);

        LockHolder holder = new LockHolder(reader.continuation().lock());
        loop.runReady();
        assertEquals(List.of(), reader.events());
        assertEquals(List.of(), writer.events(), "nothing moved: the reader's buffer is behind the busy lock");
        assertEquals(1, loop.timerCount(), "one retry timer");
        loop.advance(Duration.ofMillis(50)); // 50 retries, all missing the lock
        assertEquals(List.of(), reader.events());
        assertEquals(List.of(), writer.events());
        assertEquals(1, loop.timerCount(), "retries do not pile up");
        assertEquals(0, rv.ndone());
        assertEquals(100, outReader.readAvail());

        holder.release();
        loop.runReady();
        assertEquals(List.of(), reader.events(), "the next try is after LOCK_RETRY");
        loop.advance(AbstractVConn.LOCK_RETRY);
        assertEquals(List.of(READ_READY), reader.events());
        assertEquals(100, reader.last().ndone());
        assertEquals(List.of(WRITE_COMPLETE), writer.events());

        EventLog writer2 = new EventLog();
        out.write(data, 100, 200);
        pair.active().write(writer2.continuation(), 200, outReader);
        loop.runUntilIdle();
        assertEquals(List.of(READ_READY, READ_COMPLETE), reader.events());
        assertEquals(300, reader.last().ndone());
        assertEquals(List.of(WRITE_COMPLETE), writer.events());
        assertEquals(List.of(WRITE_COMPLETE), writer2.events());
        assertArrayEquals(data, drain(inReader));
        assertNull(reader.lockViolation());
    }

    @Test
    void a_busy_writer_lock_delays_delivery_until_released_without_losing_or_duplicating_events()
            throws Exception {
        VConnPair pair = pair();
        EventLog reader = new EventLog();
        IOBuffer in = buffer();
        IOBufferReader inReader = in.allocReader();
        pair.passive().read(reader.continuation(), 1000, in);
        EventLog writer = new EventLog();
        IOBuffer out = filled(null);
        IOBufferReader outReader = out.allocReader();
        out.write(bytes(100, 6));
        pair.active().write(writer.continuation(), 100, outReader);

        LockHolder holder = new LockHolder(writer.continuation().lock());
        loop.runReady();
        loop.advance(Duration.ofMillis(50));
        assertEquals(List.of(), reader.events());
        assertEquals(List.of(), writer.events());
        assertEquals(1, loop.timerCount(), "one retry timer");
        assertEquals(100, outReader.readAvail(), "nothing taken from the writer while its lock is busy");

        holder.release();
        loop.advance(AbstractVConn.LOCK_RETRY);
        assertEquals(List.of(WRITE_COMPLETE), writer.events());
        assertEquals(List.of(READ_READY), reader.events());
        loop.runUntilIdle();
        assertEquals(List.of(WRITE_COMPLETE), writer.events());
        assertEquals(List.of(READ_READY), reader.events());
        assertArrayEquals(bytes(100, 6), drain(inReader));
    }

    @Test
    void a_timeout_due_while_the_lock_is_busy_arrives_once_after_release() throws Exception {
        VConnPair pair = pair();
        EventLog reader = new EventLog();
        IOBuffer in = buffer();
        in.allocReader();
        pair.passive().read(reader.continuation(), 100, in);
        pair.passive().setInactivityTimeout(Duration.ofSeconds(1));
        loop.runReady();
        loop.advance(Duration.ofMillis(500));

        LockHolder holder = new LockHolder(reader.continuation().lock());
        loop.advance(Duration.ofSeconds(1)); // the deadline (1 s) passes while the lock is held
        assertEquals(List.of(), reader.events());
        holder.release();
        loop.advance(AbstractVConn.LOCK_RETRY);
        assertEquals(List.of(INACTIVITY_TIMEOUT), reader.events());
        loop.advance(Duration.ofMinutes(1));
        assertEquals(List.of(INACTIVITY_TIMEOUT), reader.events(), "delivered once, not again");
    }

    // ------------------------------------------------------------------------------------------------------------
    // No callback after close() returns

    @Test
    void close_from_inside_a_callback_stops_every_later_event_of_both_vios() {
        VConnPair pair = pair();
        VConn passive = pair.passive();
        IOBuffer in = buffer();
        in.allocReader();
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        int[] writerEventsAtClose = {-1};
        EventLog writer = new EventLog();
        EventLog reader = new EventLog();
        reader.onEvent((e, d) -> {
            writerEventsAtClose[0] = writer.events().size();
            passive.close();
        });
        int[] refills = {0};
        writer.onEvent((e, d) -> {
            if (e == WRITE_READY && refills[0]++ < 100) {
                out.write(bytes(1000, refills[0]));
            }
        });
        // The passive end streams to the active end and reads from it; its reader closes it at the first event.
        IOBuffer peerIn = buffer();
        IOBufferReader peerInReader = peerIn.allocReader();
        pair.active().read(new EventLog().onEvent((e, d) -> peerInReader.consume(peerInReader.readAvail()))
                .continuation(), Long.MAX_VALUE, peerIn);
        passive.write(writer.continuation(), Long.MAX_VALUE, outReader);
        passive.read(reader.continuation(), 1000, in);
        passive.setInactivityTimeout(Duration.ofSeconds(1));
        passive.setActiveTimeout(Duration.ofSeconds(2));
        loop.runReady();
        IOBuffer peerOut = filled(null);
        IOBufferReader peerOutReader = peerOut.allocReader();
        peerOut.write(bytes(500, 9));
        EventLog peerWriter = new EventLog();
        pair.active().write(peerWriter.continuation(), 500, peerOutReader);
        loop.runUntilIdle();

        assertEquals(List.of(READ_READY), reader.events(), "nothing after close, READ_COMPLETE and timeouts included");
        assertTrue(writerEventsAtClose[0] >= 1);
        assertEquals(writerEventsAtClose[0], writer.events().size(), "the write VIO got nothing after the close");
        assertEquals(0, writer.count(INACTIVITY_TIMEOUT) + writer.count(ACTIVE_TIMEOUT));
        assertEquals(0, loop.timerCount());
    }

    /** One streaming pair on a real loop: the active end writes continuously, the passive end reads continuously. */
    final class Stream {
        final VConnPair pair;
        final IOBuffer in = new IOBuffer(pool);
        final IOBufferReader inReader = in.allocReader();
        final IOBuffer out = new IOBuffer(pool);
        final IOBufferReader outReader = out.allocReader();
        final CountDownLatch flowing = new CountDownLatch(1);
        final CountDownLatch freed = new CountDownLatch(1);
        final AtomicInteger freedCount = new AtomicInteger();
        final Continuation reader;
        final Continuation writer;
        /** Per end (0 = passive/reader, 1 = active/writer): set under the lock right after close() returned. */
        final boolean[] closedUnderLock = new boolean[2];
        /** Per end: set (without any lock) right after close() returned. */
        volatile boolean closeReturnedPassive;
        volatile boolean closeReturnedActive;
        final AtomicInteger violations = new AtomicInteger();
        final AtomicInteger lateStarts = new AtomicInteger();
        final AtomicLong callbacks = new AtomicLong();
        long received;

        Stream(ThreadedEventLoop tl) {
            pair = VConnPair.open(tl, VConnPair.Options.defaults(), p -> {
                freedCount.incrementAndGet();
                freed.countDown();
            });
            reader = new Continuation((e, d) -> {
                entered(0);
                if (e == READ_READY) {
                    long n = inReader.readAvail();
                    inReader.consume(n);
                    received += n;
                    if (received >= 8 * LIMIT) {
                        flowing.countDown();
                    }
                }
            });
            writer = new Continuation((e, d) -> {
                entered(1);
                if (e == WRITE_READY && outReader.readAvail() < 64 * 1024) {
                    out.write(CHUNK);
                }
            });
        }

        private void entered(int end) {
            callbacks.incrementAndGet();
            synchronized (closedUnderLock) {
                if (closedUnderLock[end]) {
                    violations.incrementAndGet();
                }
            }
            if (end == 0 ? closeReturnedPassive : closeReturnedActive) {
                lateStarts.incrementAndGet();
            }
        }

        void markClosedUnderLock(int end) {
            synchronized (closedUnderLock) {
                closedUnderLock[end] = true;
            }
        }

        void start() {
            pair.passive().read(reader, Long.MAX_VALUE, in);
            pair.active().write(writer, Long.MAX_VALUE, outReader);
        }

        void finish(ThreadedEventLoop tl, VConn other) throws InterruptedException {
            other.close();
            await(freed, "the pair to be freed");
            tl.runAndWait(() -> {
                in.close();
                out.close();
            });
            assertEquals(1, freedCount.get());
        }
    }

    static final byte[] CHUNK = bytes(16 * 1024, 3);

    /**
     * Traffic Server's protocol (VConn Javadoc): a foreign thread closes one end of a busy pair while holding that
     * end's continuation lock, and marks it closed before releasing the lock. Any callback of that end that starts
     * afterwards sees the mark: there must be none. 200 rounds, alternating the end closed.
     */
    @Test
    void close_from_a_foreign_thread_holding_the_lock_no_callback_of_that_end_after_it_returns() throws Exception {
        ThreadedEventLoop tl = threadedLoop();
        int rounds = 200;
        long callbacks = 0;
        for (int round = 0; round < rounds; round++) {
            Stream s = new Stream(tl);
            int end = round % 2; // 0: close the passive (reading) end, 1: the active (writing) end
            VConn vc = end == 0 ? s.pair.passive() : s.pair.active();
            Continuation c = end == 0 ? s.reader : s.writer;
            s.start();
            Foreign closer = new Foreign("closer", () -> {
                await(s.flowing, "data to flow");
                c.lock().lock();
                try {
                    vc.close();
                    s.markClosedUnderLock(end);
                } finally {
                    c.lock().unlock();
                }
            });
            closer.join();
            s.finish(tl, end == 0 ? s.pair.active() : s.pair.passive());
            assertEquals(0, s.violations.get(), "round " + round + ": a callback started after close() returned");
            callbacks += s.callbacks.get();
        }
        assertTrue(callbacks > rounds * 8L, "the pairs were busy: " + callbacks + " callbacks");
    }

    /**
     * Closing from a foreign thread without the lock: a callback that had already passed the core's checks may
     * still be starting or running when close() returns, but no other may start. We count, per round, callbacks of
     * the closed end that start after close() returned; the contract allows at most that one in flight.
     */
    @Test
    void close_from_a_foreign_thread_without_the_lock_lets_at_most_the_callback_in_flight_finish()
            throws Exception {
        ThreadedEventLoop tl = threadedLoop();
        int rounds = 200;
        int roundsWithALateStart = 0;
        for (int round = 0; round < rounds; round++) {
            Stream s = new Stream(tl);
            int end = round % 2;
            VConn vc = end == 0 ? s.pair.passive() : s.pair.active();
            s.start();
            Foreign closer = new Foreign("closer", () -> {
                await(s.flowing, "data to flow");
                vc.close();
                if (end == 0) {
                    s.closeReturnedPassive = true;
                } else {
                    s.closeReturnedActive = true;
                }
            });
            closer.join();
            s.finish(tl, end == 0 ? s.pair.active() : s.pair.passive());
            int late = s.lateStarts.get();
            assertTrue(late <= 1, "round " + round + ": " + late + " callbacks started after close() returned");
            if (late == 1) {
                roundsWithALateStart++;
            }
        }
        System.out.printf("ThreadingTest: close() without the lock: %d of %d rounds had one in-flight callback start"
                + " after close() returned (allowed: at most 1 per round), none had more%n", roundsWithALateStart,
                rounds);
    }

    /**
     * A foreign thread closes the reading end under its lock exactly between the core's checks in the push path
     * and its tryLock of that lock. After close() returned nothing may touch that end's read VIO or buffer: the
     * retired VIO's counters are frozen (docs/semantics.md rule 3.1) and the user may already have released the buffer.
     */
    @Test
    void close_under_the_lock_just_before_a_push_takes_it_leaves_the_closed_read_untouched() {
        VConnPair pair = pair();
        InterleavingLock lock = new InterleavingLock();
        EventLog reader = new EventLog(new Continuation((e, d) -> { }, lock));
        IOBuffer in = buffer();
        IOBufferReader inReader = in.allocReader();
        ReadVio rv = pair.passive().read(reader.continuation(), 1000, in);
        loop.runUntilIdle();

        long[] atClose = {-1, -1};
        lock.beforeNextTryLock(() -> {
            pair.passive().close();
            atClose[0] = rv.ndone();
            atClose[1] = inReader.readAvail();
        });
        EventLog writer = new EventLog();
        IOBuffer out = filled(null);
        IOBufferReader outReader = out.allocReader();
        out.write(bytes(100, 1));
        pair.active().write(writer.continuation(), 100, outReader);
        loop.runUntilIdle();

        assertTrue(lock.fired());
        assertEquals(0, atClose[0]);
        assertEquals(0, atClose[1]);
        assertEquals(List.of(), reader.events());
        assertEquals(0, rv.ndone(), "a VIO retired by close() under its lock had its ndone changed afterwards");
        assertEquals(0, inReader.readAvail(), "bytes were put into the buffer of a read closed under its lock");
        assertEquals(100, outReader.readAvail(), "the writer's bytes were taken by a closed reader");
        assertEquals(List.of(ERROR), writer.events(), "the writer learns that the peer closed");
    }

    /**
     * A pass that is due (here: the inactivity timeout) checks that the VConn is open, then a foreign thread closes
     * it under the read continuation's lock just before the pass's tryLock: neither VIO may get a callback.
     */
    @Test
    void close_under_the_lock_just_before_a_due_pass_takes_it_no_callback_follows() {
        VConnPair pair = pair();
        InterleavingLock lock = new InterleavingLock();
        EventLog reader = new EventLog(new Continuation((e, d) -> { }, lock));
        EventLog writer = new EventLog();
        IOBuffer in = buffer();
        in.allocReader();
        pair.passive().read(reader.continuation(), 100, in);
        IOBuffer out = filled(null);
        IOBufferReader outReader = out.allocReader();
        out.write(bytes(10, 1));
        pair.passive().write(writer.continuation(), 100, outReader); // held: the active end reads nothing
        pair.passive().setInactivityTimeout(Duration.ofSeconds(1));
        pair.passive().setActiveTimeout(Duration.ofSeconds(1));
        loop.runReady();

        lock.beforeNextTryLock(() -> pair.passive().close());
        loop.advance(Duration.ofSeconds(1));
        loop.runUntilIdle();

        assertTrue(lock.fired());
        assertEquals(List.of(), reader.events(), "a callback after close() returned");
        assertEquals(List.of(), writer.events(), "a callback after close() returned");
        assertEquals(0, loop.timerCount());
    }

    /**
     * The same interleaving with a new read posted under the lock: the bytes must go to the new read, not into the
     * retired one's buffer.
     */
    @Test
    void a_read_replaced_under_the_lock_just_before_a_push_takes_it_gets_the_bytes_not_the_old_one() {
        VConnPair pair = pair();
        InterleavingLock lock = new InterleavingLock();
        Continuation base = new Continuation((e, d) -> { }, lock);
        EventLog first = new EventLog(base);
        EventLog second = new EventLog(base);
        IOBuffer in1 = buffer();
        IOBufferReader in1Reader = in1.allocReader();
        IOBuffer in2 = buffer();
        IOBufferReader in2Reader = in2.allocReader();
        ReadVio rv1 = pair.passive().read(first.continuation(), 1000, in1);
        loop.runUntilIdle();

        ReadVio[] rv2 = new ReadVio[1];
        lock.beforeNextTryLock(() -> rv2[0] = pair.passive().read(second.continuation(), 1000, in2));
        EventLog writer = new EventLog();
        IOBuffer out = filled(null);
        IOBufferReader outReader = out.allocReader();
        byte[] data = bytes(100, 2);
        out.write(data);
        pair.active().write(writer.continuation(), 100, outReader);
        loop.runUntilIdle();

        assertTrue(lock.fired());
        assertTrue(rv1.isRetired());
        assertEquals(0, rv1.ndone(), "the retired read's counters changed");
        assertEquals(0, in1Reader.readAvail(), "bytes went into the retired read's buffer");
        assertEquals(List.of(), first.events());
        assertEquals(List.of(READ_READY), second.events());
        assertEquals(100, rv2[0].ndone());
        assertArrayEquals(data, drain(in2Reader));
        assertEquals(List.of(WRITE_COMPLETE), writer.events());
    }

    /**
     * rule 3.6 under the same interleaving: the inactivity timeout comes due, and a new read is posted under the
     * lock between the pass's snapshot of the VIOs and its tryLock. A read is active, so the read gets it; in no
     * order of these two actions is the write the right target.
     */
    @Test
    void a_timeout_processed_just_after_a_read_was_replaced_under_the_lock_goes_to_the_new_read() {
        VConnPair pair = pair();
        InterleavingLock lock = new InterleavingLock();
        Continuation base = new Continuation((e, d) -> { }, lock);
        EventLog first = new EventLog(base);
        EventLog second = new EventLog(base);
        EventLog writer = new EventLog();
        IOBuffer in1 = buffer();
        in1.allocReader();
        IOBuffer in2 = buffer();
        in2.allocReader();
        pair.passive().read(first.continuation(), 100, in1);
        IOBuffer out = filled(null);
        IOBufferReader outReader = out.allocReader();
        out.write(bytes(10, 1));
        pair.passive().write(writer.continuation(), 100, outReader); // held: the active end reads nothing
        pair.passive().setInactivityTimeout(Duration.ofSeconds(10));
        loop.runReady();

        ReadVio[] rv2 = new ReadVio[1];
        lock.beforeNextTryLock(() -> rv2[0] = pair.passive().read(second.continuation(), 100, in2));
        loop.advance(Duration.ofSeconds(10));
        loop.runReady();

        assertTrue(lock.fired());
        assertEquals(List.of(), first.events());
        assertEquals(List.of(), writer.events(), "the timeout went to the write although a read was active");
        assertEquals(List.of(INACTIVITY_TIMEOUT), second.events());
        assertSame(rv2[0], second.last().data());
    }

    // ------------------------------------------------------------------------------------------------------------
    // Reenable from a foreign thread

    @Test
    void reenable_from_a_foreign_thread_under_the_lock_moves_the_data_to_completion() throws Exception {
        ThreadedEventLoop tl = threadedLoop();
        CountDownLatch freed = new CountDownLatch(1);
        VConnPair pair = VConnPair.open(tl, VConnPair.Options.defaults(), p -> freed.countDown());
        long total = 8 * LIMIT;
        BytePattern pattern = new BytePattern(4);
        IOBuffer in = new IOBuffer(pool);
        IOBufferReader inReader = in.allocReader();
        IOBuffer out = new IOBuffer(pool);
        IOBufferReader outReader = out.allocReader();
        pattern.write(out, 0, (int) total);

        Semaphore full = new Semaphore(0);
        CountDownLatch complete = new CountDownLatch(1);
        AtomicLong maxAvail = new AtomicLong();
        EventLog reader = new EventLog().onEvent((e, d) -> {
            long avail = inReader.readAvail(); // never consumed here: only the foreign thread consumes
            maxAvail.accumulateAndGet(avail, Math::max);
            if (e == READ_COMPLETE || avail == LIMIT) {
                full.release();
            }
            if (e == READ_COMPLETE) {
                complete.countDown();
            }
        });
        EventLog writer = new EventLog();
        ReadVio rv = pair.passive().read(reader.continuation(), total, in);
        pair.active().write(writer.continuation(), total, outReader);

        AtomicInteger reenables = new AtomicInteger();
        Foreign consumer = new Foreign("consumer", () -> {
            long got = 0;
            while (got < total) {
                assertTrue(full.tryAcquire(WAIT_SECONDS, TimeUnit.SECONDS), "the reader never filled up again");
                reader.continuation().lock().lock();
                try {
                    got += pattern.consumeAndCheck(inReader, got);
                    if (!rv.isComplete()) {
                        rv.reenable();
                        reenables.incrementAndGet();
                    }
                } finally {
                    reader.continuation().lock().unlock();
                }
            }
        });
        consumer.join();
        await(complete, "READ_COMPLETE");
        tl.drain();
        pair.active().close();
        pair.passive().close();
        await(freed, "the pair to be freed");
        tl.runAndWait(() -> {
            in.close();
            out.close();
        });

        assertEquals(READ_COMPLETE, reader.last().event());
        assertEquals(1, reader.count(READ_COMPLETE));
        assertEquals(total, rv.ndone());
        assertEquals(WRITE_COMPLETE, writer.last().event());
        assertEquals(LIMIT, maxAvail.get(), "the reader sat full at the limit");
        assertTrue(reenables.get() >= 7, "the data moved on only through foreign reenables: " + reenables.get());
        assertNull(reader.lockViolation());
    }

    // ------------------------------------------------------------------------------------------------------------
    // A handler that throws

    @Test
    void a_handler_that_throws_is_logged_and_later_events_still_arrive() {
        VConnPair pair = pair();
        IOBuffer in = buffer();
        IOBufferReader inReader = in.allocReader();
        EventLog reader = new EventLog().onEvent((e, d) -> {
            if (e == READ_READY) {
                throw new IllegalStateException("boom in READ_READY");
            }
        });
        EventLog writer = new EventLog().onEvent((e, d) -> {
            if (e == WRITE_READY) {
                throw new IllegalStateException("boom in WRITE_READY");
            }
        });
        IOBuffer out = filled(null);
        IOBufferReader outReader = out.allocReader();
        byte[] data = bytes(100, 8);

        PrintStream originalErr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            pair.passive().read(reader.continuation(), 100, in);
            WriteVio wv = pair.active().write(writer.continuation(), 100, outReader);
            loop.runUntilIdle();
            out.write(data, 0, 40);
            wv.reenable();
            loop.runUntilIdle();
            out.write(data, 40, 60);
            wv.reenable();
            loop.runUntilIdle();
        } finally {
            System.err.flush();
            System.setErr(originalErr);
        }
        String log = captured.toString(StandardCharsets.UTF_8);

        assertEquals(List.of(READ_READY, READ_COMPLETE), reader.events(), "events after the throw still arrive");
        assertEquals(WRITE_READY, writer.events().get(0));
        assertEquals(WRITE_COMPLETE, writer.last().event());
        assertEquals(1, writer.count(WRITE_COMPLETE));
        assertArrayEquals(data, drain(inReader));
        assertTrue(log.contains("threw on READ_READY") && log.contains("boom in READ_READY"),
                "the exception is logged: " + log);
        assertTrue(log.contains("threw on WRITE_READY") && log.contains("boom in WRITE_READY"),
                "the exception is logged: " + log);
    }

    // ------------------------------------------------------------------------------------------------------------
    // onFreed

    @Test
    void on_freed_runs_once_on_the_loop_after_both_ends_closed_not_after_one() {
        AtomicInteger freed = new AtomicInteger();
        List<Boolean> onLoop = new ArrayList<>();
        VConnPair pair = VConnPair.open(loop, VConnPair.Options.defaults(), p -> {
            freed.incrementAndGet();
            onLoop.add(loop.inEventLoop());
        });
        pair.active().close();
        loop.runUntilIdle();
        assertEquals(0, freed.get(), "one end closed: not freed");
        assertFalse(pair.isFreed());

        pair.passive().close();
        assertEquals(0, freed.get(), "onFreed is not called synchronously by close()");
        loop.runUntilIdle();
        assertEquals(1, freed.get());
        assertTrue(pair.isFreed());
        assertEquals(List.of(true), onLoop);

        pair.active().close();
        pair.passive().close();
        pair.passive().abort(1, new RuntimeException("late"));
        loop.runUntilIdle();
        assertEquals(1, freed.get(), "exactly once");
    }

    @Test
    void on_freed_runs_once_when_an_end_is_aborted() {
        AtomicInteger freed = new AtomicInteger();
        VConnPair pair = VConnPair.open(loop, VConnPair.Options.defaults(), p -> freed.incrementAndGet());
        pair.passive().abort(1, new RuntimeException("gave up"));
        loop.runUntilIdle();
        assertEquals(0, freed.get());
        pair.active().close();
        loop.runUntilIdle();
        assertEquals(1, freed.get());
    }

    @Test
    void on_freed_runs_once_when_both_ends_are_closed_at_once_from_two_threads() throws Exception {
        ThreadedEventLoop tl = threadedLoop();
        for (int round = 0; round < 100; round++) {
            AtomicInteger freed = new AtomicInteger();
            Set<Thread> threads = ConcurrentHashMap.newKeySet();
            CountDownLatch done = new CountDownLatch(1);
            VConnPair pair = VConnPair.open(tl, VConnPair.Options.defaults(), p -> {
                freed.incrementAndGet();
                threads.add(Thread.currentThread());
                done.countDown();
            });
            CountDownLatch go = new CountDownLatch(1);
            Foreign a = new Foreign("close-active", () -> {
                await(go, "go");
                pair.active().close();
            });
            Foreign b = new Foreign("close-passive", () -> {
                await(go, "go");
                pair.passive().close();
            });
            go.countDown();
            a.join();
            b.join();
            await(done, "onFreed");
            tl.drain();
            assertEquals(1, freed.get(), "round " + round);
            assertEquals(Set.of(tl.thread()), threads);
        }
    }
}
