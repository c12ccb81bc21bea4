package dev.vconn.domain.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How passes are dispatched on a loop (docs/threading.md, Passes): a readiness report from the loop's own I/O dispatch
 * runs the VConn's pass at once, without a task, unless a pass runs on the loop (it then waits for that pass to end:
 * passes never nest) or the VConn's pass is queued already. Each case counts the tasks the virtual loop runs and
 * records where every callback starts and ends.
 */
class PassDispatchTest {
    private final BlockPool pool = new BlockPool();
    private final VirtualTimeEventLoop loop = new VirtualTimeEventLoop();
    private final List<IOBuffer> buffers = new ArrayList<>();
    private final List<ScriptedVConn> vconns = new ArrayList<>();
    /** Where callbacks start and end, and marks made by tasks, in order. */
    private final List<String> trace = new ArrayList<>();
    private int depth;
    private String nested;

    @AfterEach
    void releaseEverything() {
        vconns.forEach(ScriptedVConn::close);
        loop.runUntilIdle();
        buffers.forEach(IOBuffer::close);
        assertEquals(0, pool.outstanding(), "every block back in the pool: " + pool);
    }

    @Test
    void a_readiness_report_from_the_loops_io_dispatch_runs_the_pass_at_once() {
        ScriptedVConn a = vconn("a");
        readInto(a, (event, vio) -> { });
        loop.runUntilIdle();
        trace.clear();

        loop.execute(() -> {
            a.arriveFromIo(4);
            trace.add("dispatch went on");
        });
        long tasks = loop.runUntilIdle();

        assertEquals(List.of("a READ_READY {", "} a", "dispatch went on"), trace);
        assertEquals(1, tasks, "the dispatch task only: the pass needed no task of its own");
        assertEquals(4, a.readVio().ndone());
    }

    @Test
    void a_readiness_report_made_inside_a_pass_waits_for_that_pass_to_end() {
        ScriptedVConn a = vconn("a");
        ScriptedVConn b = vconn("b");
        readInto(b, (event, vio) -> { });
        boolean[] reported = new boolean[1];
        readInto(a, (event, vio) -> {
            if (!reported[0]) {
                reported[0] = true;
                b.arriveFromIo(2); // as a transport reports readiness while a pass writes (a flush, an in-memory pipe)
                a.arriveFromIo(1); // and its own: the running pass is not re-entered, it reads the byte itself
                trace.add("a's callback goes on");
            }
        });
        loop.runUntilIdle();
        trace.clear();

        a.arrive(5);
        loop.runUntilIdle();

        assertEquals(null, nested, "no callback started inside another one");
        assertEquals(List.of("a READ_READY {", "a's callback goes on", "} a", "a READ_READY {", "} a",
                "b READ_READY {", "} b"), trace);
        assertEquals(6, a.readVio().ndone());
        assertEquals(2, b.readVio().ndone());
    }

    @Test
    void a_readiness_report_while_another_thread_holds_the_continuations_lock_delivers_nothing_until_it_lets_go()
            throws Exception {
        ReentrantLock lock = new ReentrantLock();
        ScriptedVConn a = vconn("a");
        readInto(a, lock, (event, vio) -> { });
        loop.runUntilIdle();
        trace.clear();
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch released = new CountDownLatch(1);
        Thread holder = new Thread(() -> {
            lock.lock();
            try {
                held.countDown();
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                lock.unlock();
                released.countDown();
            }
        });
        holder.start();
        assertTrue(held.await(10, TimeUnit.SECONDS));

        loop.execute(() -> a.arriveFromIo(3));
        loop.runReady(); // the clock stays: the pass's retry is a timer
        assertEquals(List.of(), trace, "no callback while the lock is held elsewhere (docs/semantics.md, rule 2.2)");

        release.countDown();
        assertTrue(released.await(10, TimeUnit.SECONDS));
        holder.join(10_000);
        loop.advance(AbstractVConn.LOCK_RETRY);
        assertEquals(List.of("a READ_READY {", "} a"), trace, "delivered by the retry once the lock is free");
        assertEquals(3, a.readVio().ndone());
    }

    @Test
    void a_readiness_report_for_a_vconn_whose_pass_is_queued_adds_nothing() {
        ScriptedVConn a = vconn("a");
        readInto(a, (event, vio) -> { });
        loop.runUntilIdle();
        trace.clear();

        loop.execute(() -> {
            a.arrive(2); // queues A's pass
            a.arriveFromIo(3); // that pass will read these too: no pass now, and none more
            trace.add("dispatch went on");
        });
        long tasks = loop.runUntilIdle();

        assertEquals(List.of("dispatch went on", "a READ_READY {", "} a", "a READ_READY {", "} a"), trace,
                "both arrivals read by the queued pass, after the dispatch");
        assertEquals(2, tasks, "the dispatch task and A's queued pass");
        assertEquals(5, a.readVio().ndone());
    }

    @Test
    void a_readiness_report_inside_a_timers_pass_waits_for_that_pass_to_end() {
        ScriptedVConn a = vconn("a");
        ScriptedVConn b = vconn("b");
        readInto(b, (event, vio) -> { });
        readInto(a, (event, vio) -> {
            if (event == Event.INACTIVITY_TIMEOUT) {
                b.arriveFromIo(1);
                trace.add("a's callback goes on");
            }
        });
        a.setInactivityTimeout(Duration.ofSeconds(1));
        loop.runUntilIdle();

        assertEquals(null, nested, "no callback started inside another one");
        assertEquals(List.of("a INACTIVITY_TIMEOUT {", "a's callback goes on", "} a", "b READ_READY {", "} b"),
                trace);
    }

    // ---------------------------------------------------------------------------------------------------------

    private interface Reaction {
        void react(Event event, Object vio);
    }

    private void readInto(ScriptedVConn vconn, Reaction reaction) {
        readInto(vconn, new ReentrantLock(), reaction);
    }

    private void readInto(ScriptedVConn vconn, ReentrantLock lock, Reaction reaction) {
        IOBuffer buffer = new IOBuffer(pool, 0);
        buffers.add(buffer);
        IOBufferReader reader = buffer.allocReader();
        vconn.read(new Continuation((event, data) -> {
            if (depth > 0 && nested == null) {
                nested = vconn.name + " " + event.name() + " inside another callback";
            }
            depth++;
            trace.add(vconn.name + " " + event.name() + " {");
            try {
                reader.consume(reader.readAvail());
                reaction.react(event, data);
            } finally {
                trace.add("} " + vconn.name);
                depth--;
            }
        }, lock), Long.MAX_VALUE, buffer);
    }

    private ScriptedVConn vconn(String name) {
        ScriptedVConn vconn = new ScriptedVConn(loop, name);
        vconns.add(vconn);
        return vconn;
    }

    /** A transport whose input is bytes the test makes arrive, reported as a schedule or as I/O readiness. */
    private static final class ScriptedVConn extends AbstractVConn {
        private final String name;
        private final ArrayDeque<Integer> input = new ArrayDeque<>();
        private boolean released;

        ScriptedVConn(VirtualTimeEventLoop loop, String name) {
            super(loop);
            this.name = name;
        }

        /** {@code n} bytes arrive; the core is told through {@link #onReadable()}. */
        void arrive(int n) {
            synchronized (input) {
                input.add(n);
            }
            onReadable();
        }

        /** {@code n} bytes arrive; the core is told as a loop's I/O dispatch tells it. */
        void arriveFromIo(int n) {
            synchronized (input) {
                input.add(n);
            }
            onIoReady();
        }

        @Override
        protected long transportRead(IOBuffer dst, long max) {
            Integer n;
            synchronized (input) {
                n = input.poll();
            }
            if (n == null) {
                return 0;
            }
            dst.write(new byte[n]);
            return n;
        }

        @Override
        protected long transportWrite(IOBufferReader src, long max) {
            src.consume(max);
            return max;
        }

        @Override
        protected void transportShutdown(boolean read, boolean write) {
        }

        @Override
        protected void transportClose(VConnError abortError) {
            released = true;
        }
    }

}
