package dev.vconn.ports.contract;

import static dev.vconn.domain.Event.READ_COMPLETE;
import static dev.vconn.domain.Event.READ_READY;
import static dev.vconn.domain.Event.WRITE_COMPLETE;
import static dev.vconn.ports.contract.Streams.KIB;
import static dev.vconn.ports.contract.Streams.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.EventLoop;
import dev.vconn.domain.VConn;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

/**
 * Threads and locks (docs/semantics.md, rules 2.1–2.5; {@code docs/threading.md}).
 *
 * <ul>
 *   <li>Every VConn is pinned to one of the transport's loops; all of its events run on that loop's thread; the
 *       transport spreads VConns over its loops.</li>
 *   <li>{@code reenable} is thread-safe: a foreign thread that consumes under the continuation's lock and
 *       reenables keeps a backpressured read going (Traffic Server needs the caller to hold the
 *       VIO's mutex; so do we for the buffer, not for the call). Many concurrent reenables are harmless.</li>
 *   <li>Internals only {@code tryLock} a continuation's lock and retry: while a foreign thread holds it no event
 *       is delivered, and none is lost once it lets go; continuations on different VConns (and loops) sharing one
 *       lock, as a transaction shares its lock with its transforms, both make progress.</li>
 * </ul>
 */
public abstract class ConcurrencyContract extends TransportContract {
    private static final BytePattern UP = new BytePattern(91);
    private static final BytePattern DOWN = new BytePattern(92);

    @Test
    void a_foreign_thread_that_consumes_and_reenables_keeps_a_backpressured_read_going() throws Exception {
        Connected c = connected();
        long total = 256 * KIB;
        Semaphore ready = new Semaphore(0);
        AtomicReference<Thread> foreignThread = new AtomicReference<>();
        List<String> problems = new CopyOnWriteArrayList<>();
        Reading in = postRead(c.server(), total, buffer(4));
        in.recorder().onEvent((e, d) -> {
            if (Thread.currentThread() == foreignThread.get()) {
                problems.add(e + " delivered on the foreign thread that reenabled");
            }
            if (e == READ_READY || e == READ_COMPLETE) {
                ready.release();
            }
        });
        Streams.Sender out = tracked(new Streams.Sender(buffer(), UP, total));
        out.start(c.client(), total);

        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread foreign = new Thread(() -> {
            try {
                long consumed = 0;
                int rounds = 0;
                while (consumed < total) {
                    if (!ready.tryAcquire(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                        throw new AssertionError("the read stalled after " + consumed + " bytes, " + rounds
                                + " foreign reenables");
                    }
                    consumed += in.drain(UP, consumed);
                    in.vio().reenable();
                    rounds++;
                }
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                done.set(true);
            }
        }, "contract-foreign-reenabler");
        foreignThread.set(foreign);
        foreign.setDaemon(true);
        foreign.start();
        await("256 KiB through a 2 KiB buffer drained by a foreign thread",
                () -> done.get() && in.recorder().saw(READ_COMPLETE));
        foreign.join(WAIT.toMillis());
        assertNull(failure.get());
        assertEquals(List.of(), problems);
        assertReadyThenComplete(in.recorder().entries(), READ_READY, READ_COMPLETE, total);
        assertTrue(out.completed());
    }

    /**
     * A relay between two VConns of one loop, as a proxy's tunnel: each side's callback reenables the other VConn's VIO
     * while socket readiness runs passes straight from the loop's I/O dispatch (docs/threading.md, Passes). Every byte
     * arrives in order, each VIO completes once, and no callback starts inside another one on the loop's thread (the
     * streams' sides check that for every contract test).
     */
    @Test
    void a_relay_between_two_vconns_of_one_loop_moves_every_byte_in_order_without_nested_callbacks() throws Exception {
        int loops = transport.eventLoops().size();
        List<Connected> all = new ArrayList<>();
        Connected from = null;
        Connected to = null;
        for (int i = 0; i <= loops && to == null; i++) { // among loops + 1 accepted ends two share a loop
            Connected c = connected();
            for (Connected earlier : all) {
                if (earlier.server().eventLoop() == c.server().eventLoop()) {
                    from = earlier;
                    to = c;
                    break;
                }
            }
            all.add(c);
        }
        assertTrue(to != null, "two accepted ends on one loop");
        long total = 1 * MIB;
        Streams.Sender sender = tracked(new Streams.Sender(buffer(), UP, total));
        Streams.Relay relay = tracked(new Streams.Relay(buffer(4)));
        Streams.Receiver receiver = tracked(new Streams.Receiver(buffer(), UP));
        receiver.start(to.client(), total);
        relay.start(from.server(), to.server(), total);
        sender.start(from.client(), total);

        await("the relayed stream", () -> receiver.finished() && relay.finished() && sender.finished());
        assertNull(sender.failure());
        assertNull(relay.failure());
        assertNull(receiver.failure());
        assertEquals(total, receiver.received(), "every byte, checked in order against the pattern");
        assertEquals(1, relay.count(WRITE_COMPLETE));
        assertEquals(1, relay.count(READ_COMPLETE));
        assertEquals(1, receiver.count(READ_COMPLETE));
        assertTrue(from.server().eventLoop() == to.server().eventLoop(), "both relay ends on one loop");
    }

    @Test
    void vconns_are_spread_over_the_loops_and_each_keeps_to_one_thread() throws Exception {
        int loops = transport.eventLoops().size();
        int connections = Math.min(16, Math.max(4, 2 * loops));
        long total = 256 * KIB;
        List<VConn> vconns = new ArrayList<>();
        List<Streams.Side[]> sidesPerVConn = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            Connected c = connected();
            for (VConn vc : List.of(c.client(), c.server())) {
                boolean isClient = vc == c.client();
                ReentrantLock lock = new ReentrantLock();
                Streams.Receiver r = tracked(new Streams.Receiver(buffer(), lock, isClient ? DOWN : UP));
                Streams.Sender s = tracked(new Streams.Sender(buffer(), lock, isClient ? UP : DOWN, total));
                r.start(vc, total);
                s.start(vc, total);
                vconns.add(vc);
                sidesPerVConn.add(new Streams.Side[] {r, s});
            }
        }
        await("every stream", () -> sidesPerVConn.stream().flatMap(Arrays::stream)
                .allMatch(Streams.Side::finished));
        Set<EventLoop> used = new HashSet<>();
        for (int i = 0; i < vconns.size(); i++) {
            VConn vc = vconns.get(i);
            Streams.Receiver r = (Streams.Receiver) sidesPerVConn.get(i)[0];
            Streams.Sender s = (Streams.Sender) sidesPerVConn.get(i)[1];
            assertNull(r.failure());
            assertNull(s.failure());
            assertEquals(total, r.received());
            assertTrue(s.completed());
            assertTrue(transport.eventLoops().contains(vc.eventLoop()), "pinned to one of the transport's loops");
            used.add(vc.eventLoop());
            Set<Thread> threads = new HashSet<>(r.threads());
            threads.addAll(s.threads());
            assertEquals(1, threads.size(), "all events of one VConn on one thread: " + threads);
        }
        if (loops > 1) {
            assertTrue(used.size() > 1, "the transport spreads VConns over its " + loops + " loops, used "
                    + used.size());
        }
    }

    @Test
    void while_a_foreign_thread_holds_the_continuations_lock_no_event_is_delivered_and_none_is_lost()
            throws Exception {
        Connected c = connected();
        ReentrantLock lock = new ReentrantLock();
        Recorder reader = recorder(lock);
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread holder = new Thread(() -> {
            lock.lock();
            try {
                held.countDown();
                if (!release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new AssertionError("never released");
                }
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                lock.unlock();
            }
        }, "contract-lock-holder");
        holder.setDaemon(true);
        holder.start();
        assertTrue(held.await(WAIT.toMillis(), TimeUnit.MILLISECONDS));

        var in = buffer();
        var inReader = in.allocReader();
        var vio = c.server().read(reader.continuation(), 1000, in);
        send(c.client(), UP, 0, 1000);
        settle();
        assertEquals(List.of(), reader.events(), "no event while another thread holds the continuation's lock");
        release.countDown();
        holder.join(WAIT.toMillis());
        assertNull(failure.get());
        await("the events once the lock is free", () -> reader.saw(READ_COMPLETE));
        assertReadyThenComplete(reader.entries(), READ_READY, READ_COMPLETE, 1000);
        assertEquals(1000, vio.ndone());
        assertEquals(1000, locked(reader.continuation(), () -> UP.consumeAndCheck(inReader, 0)));
    }

    @Test
    void continuations_of_two_vconns_sharing_one_lock_both_make_progress() throws Exception {
        Connected a = connected();
        Connected b = connected();
        ReentrantLock shared = new ReentrantLock();
        long total = 2 * MIB;
        Streams.Receiver ra = tracked(new Streams.Receiver(buffer(), shared, UP));
        Streams.Receiver rb = tracked(new Streams.Receiver(buffer(), shared, DOWN));
        Streams.Sender sa = tracked(new Streams.Sender(buffer(), UP, total));
        Streams.Sender sb = tracked(new Streams.Sender(buffer(), DOWN, total));
        ra.start(a.server(), total);
        rb.start(b.server(), total);
        sa.start(a.client(), total);
        sb.start(b.client(), total);
        await("both streams under one shared lock", () -> (ra.finished() && rb.finished())
                || ra.failure() != null || rb.failure() != null);
        assertNull(ra.failure());
        assertNull(rb.failure());
        assertEquals(total, ra.received());
        assertEquals(total, rb.received());
    }

    @Test
    void many_concurrent_reenables_from_foreign_threads_are_harmless() throws Exception {
        Connected c = connected();
        long total = MIB;
        Streams.Receiver in = tracked(new Streams.Receiver(buffer(), UP));
        Streams.Sender out = tracked(new Streams.Sender(buffer(), UP, total));
        in.start(c.server(), total);
        out.start(c.client(), total);
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Thread t = new Thread(() -> {
                for (int k = 0; k < 20_000 && !stop.get(); k++) {
                    in.vio().reenable();
                    out.vio().reenable();
                    Thread.onSpinWait();
                }
            }, "contract-reenabler-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        try {
            await("1 MiB with reenables raining in", () -> (in.finished() && out.finished())
                    || in.failure() != null || out.failure() != null);
        } finally {
            stop.set(true);
            for (Thread t : threads) {
                t.join(WAIT.toMillis());
            }
        }
        assertNull(in.failure());
        assertNull(out.failure());
        assertEquals(total, in.received(), "every byte exactly once");
        assertEquals(1, in.count(READ_COMPLETE));
        assertEquals(1, out.count(WRITE_COMPLETE));
    }
}
