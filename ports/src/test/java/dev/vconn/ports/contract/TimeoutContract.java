package dev.vconn.ports.contract;

import static dev.vconn.domain.Event.ACTIVE_TIMEOUT;
import static dev.vconn.domain.Event.INACTIVITY_TIMEOUT;
import static dev.vconn.domain.Event.READ_COMPLETE;
import static dev.vconn.domain.Event.READ_READY;
import static dev.vconn.domain.Event.WRITE_READY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Event;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VConn;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Inactivity and active timeouts on socket VConns made by the transport, measured on the transport's clock
 * ({@link TransportHarness#nanoTime()}).
 *
 * <ul>
 *   <li>semantics.md rule 3.6: a timeout goes to the read operation if one is active (posted, not shut, not complete,
 *       {@code nbytes > 0}), else to the write operation; after it the VConn is still usable.</li>
 *   <li>{@code VConn#setInactivityTimeout}: fires once no byte moved for the timeout; moving bytes re-arm it; it
 *       does not fire while bytes keep moving; it fires again after new activity. {@code setActiveTimeout} is
 *       one-shot and fires regardless of traffic. Both can be cancelled; both refuse non-positive durations; a
 *       closed VConn hears no timeout (Traffic Server statements 25, 33).</li>
 *   <li>semantics.md rule 2.5: on a {@link Capability#VIRTUAL_TIME} transport the event comes <b>exactly</b> at its
 *       deadline on the virtual clock; on real time at or after it. Tests never sleep: they wait on events, and
 *       let time pass with a marker task scheduled on the loops.</li>
 * </ul>
 */
public abstract class TimeoutContract extends TransportContract {
    /** The timeout used throughout: short, so real transports finish fast. */
    protected static final Duration T = Duration.ofMillis(200);
    private static final Duration TICK = Duration.ofMillis(20);
    private static final int TICKS = 40;
    private static final BytePattern UP = new BytePattern(51);

    /**
     * How much later than the core a callback can read the clock for the same transfer on real time: the core
     * records a transfer (and arms the inactivity deadline) before it delivers READ_READY or READ_COMPLETE in the
     * same pass, so a deadline computed from the callback's reading may be a little late. Far below {@link #T}.
     */
    private static final long CALLBACK_LAG_NANOS = Duration.ofMillis(5).toNanos();

    /** On virtual time the event comes exactly at the deadline; on real time at or after it. */
    private void assertFiredAt(long firedNanos, long deadlineNanos, String what) {
        assertFiredAt(firedNanos, deadlineNanos, 0, what);
    }

    /**
     * Like {@link #assertFiredAt(long, long, String)} for a deadline computed from a clock reading taken in the
     * callback of the transfer that armed it (see {@link #CALLBACK_LAG_NANOS}).
     */
    private void assertFiredAfterTransfer(long firedNanos, long deadlineNanos, String what) {
        assertFiredAt(firedNanos, deadlineNanos, CALLBACK_LAG_NANOS, what);
    }

    private void assertFiredAt(long firedNanos, long deadlineNanos, long realTimeSlack, String what) {
        if (harness.capabilities().contains(Capability.VIRTUAL_TIME)) {
            assertEquals(deadlineNanos, firedNanos, what + ": on virtual time, exactly at the deadline");
        } else {
            assertTrue(firedNanos >= deadlineNanos - realTimeSlack, what + ": fired "
                    + (deadlineNanos - firedNanos) + " ns before its deadline");
        }
    }

    /** Records the transport's clock at each event of {@code kind} delivered to {@code recorder}. */
    private List<Long> timesOf(Recorder recorder, Event... kinds) {
        List<Long> times = new CopyOnWriteArrayList<>();
        List<Event> wanted = List.of(kinds);
        recorder.onEvent((e, d) -> {
            if (wanted.contains(e)) {
                times.add(harness.nanoTime());
            }
        });
        return times;
    }

    @Test
    void an_inactivity_timeout_goes_to_an_idle_read_after_the_timeout_and_only_once() throws Exception {
        Connected c = connected();
        Reading in = postRead(c.server(), 100);
        List<Long> fired = timesOf(in.recorder(), INACTIVITY_TIMEOUT);
        long t0 = harness.nanoTime();
        c.server().setInactivityTimeout(T);
        await("INACTIVITY_TIMEOUT", () -> in.recorder().saw(INACTIVITY_TIMEOUT));
        assertFiredAt(fired.get(0), t0 + T.toNanos(), "inactivity");
        clockPasses(T.multipliedBy(3));
        assertEquals(List.of(INACTIVITY_TIMEOUT), in.recorder().events(), "once: nothing moved to re-arm it");
        assertSame(in.vio(), in.recorder().entries().get(0).data(), "the event carries the read VIO");
        assertTrue(c.server().isOpen(), "a timeout does not close the VConn");
    }

    @Test
    void an_inactivity_timeout_goes_to_the_write_when_no_read_is_active() throws Exception {
        Connected c = connected();
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        Recorder writer = recorder();
        List<Long> fired = timesOf(writer, INACTIVITY_TIMEOUT);
        WriteVio vio = c.server().write(writer.continuation(), 100, outReader);
        await("the write asks for data", () -> writer.saw(WRITE_READY));
        long t0 = harness.nanoTime();
        c.server().setInactivityTimeout(T);
        await("INACTIVITY_TIMEOUT", () -> writer.saw(INACTIVITY_TIMEOUT));
        assertFiredAt(fired.get(0), t0 + T.toNanos(), "inactivity");
        settle();
        assertEquals(List.of(WRITE_READY, INACTIVITY_TIMEOUT), writer.events());
        assertSame(vio, writer.entries().get(1).data());
    }

    @Test
    void with_both_operations_active_the_read_gets_it_and_once_the_read_completes_the_write_does()
            throws Exception {
        Connected c = connected();
        Reading in = postRead(c.server(), 10);
        List<Long> readTimes = timesOf(in.recorder(), INACTIVITY_TIMEOUT, READ_COMPLETE);
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        Recorder writer = recorder();
        List<Long> writeTimes = timesOf(writer, INACTIVITY_TIMEOUT);
        c.server().write(writer.continuation(), 100, outReader);
        await("the write asks for data", () -> writer.saw(WRITE_READY));

        long t0 = harness.nanoTime();
        c.server().setInactivityTimeout(T);
        await("INACTIVITY_TIMEOUT to the read", () -> in.recorder().saw(INACTIVITY_TIMEOUT));
        assertFiredAt(readTimes.get(0), t0 + T.toNanos(), "inactivity to the read");
        settle();
        assertEquals(List.of(WRITE_READY), writer.events(), "docs/semantics.md, rule 3.6: only the read is told");

        send(c.client(), UP, 0, 10);
        await("READ_COMPLETE", () -> in.recorder().saw(READ_COMPLETE));
        await("INACTIVITY_TIMEOUT to the write", () -> writer.saw(INACTIVITY_TIMEOUT));
        long completedAt = readTimes.get(1);
        assertFiredAfterTransfer(writeTimes.get(0), completedAt + T.toNanos(), "inactivity after the last transfer");
        assertEquals(List.of(INACTIVITY_TIMEOUT, READ_COMPLETE), in.recorder().events());
        assertEquals(List.of(WRITE_READY, INACTIVITY_TIMEOUT), writer.events());
        assertEquals(10, in.drain(UP, 0));
    }

    @Test
    void a_timeout_skips_a_shut_down_read_and_goes_to_the_write() throws Exception {
        Connected c = connected();
        Reading in = postRead(c.server(), 100);
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        Recorder writer = recorder();
        c.server().write(writer.continuation(), 100, outReader);
        await("the write asks for data", () -> writer.saw(WRITE_READY));
        c.server().shutdown(ShutdownHow.READ);
        c.server().setInactivityTimeout(T);
        await("INACTIVITY_TIMEOUT to the write", () -> writer.saw(INACTIVITY_TIMEOUT));
        settle();
        assertEquals(List.of(), in.recorder().events(), "no timeout for a shut direction");
        assertEquals(List.of(WRITE_READY, INACTIVITY_TIMEOUT), writer.events());
    }

    @Test
    void an_inactivity_timeout_does_not_fire_while_bytes_keep_moving_and_fires_once_they_stop() throws Exception {
        Connected c = connected();
        AtomicLong lastRead = new AtomicLong();
        List<Long> fired = new CopyOnWriteArrayList<>();
        Streams.Receiver in = tracked(new Streams.Receiver(buffer(), UP)).onEvent((e, d) -> {
            if (e == READ_READY) {
                lastRead.set(harness.nanoTime());
            } else if (e == INACTIVITY_TIMEOUT) {
                fired.add(harness.nanoTime());
            }
        });
        in.start(c.server(), Long.MAX_VALUE);
        c.server().setInactivityTimeout(T);
        Ticker ticker = startTicker(c.client());

        await("traffic for " + TICK.multipliedBy(TICKS), () -> in.received() == TICKS * 10L
                || in.failure() != null || in.count(INACTIVITY_TIMEOUT) > 0);
        assertNull(in.failure());
        assertEquals(0, in.count(INACTIVITY_TIMEOUT),
                "no inactivity timeout while bytes kept moving every " + TICK + " for " + TICK.multipliedBy(TICKS));
        assertEquals(TICKS, ticker.ticks.get());
        long last = lastRead.get();
        await("INACTIVITY_TIMEOUT once the bytes stop", () -> in.count(INACTIVITY_TIMEOUT) > 0);
        assertFiredAfterTransfer(fired.get(0), last + T.toNanos(), "inactivity after the last transfer");
        assertEquals(TICKS * 10L, in.received());
    }

    @Test
    void after_an_inactivity_timeout_the_vconn_is_still_usable_and_new_activity_rearms_the_timer()
            throws Exception {
        Connected c = connected();
        Reading in = postRead(c.server(), Long.MAX_VALUE);
        List<Long> times = timesOf(in.recorder(), INACTIVITY_TIMEOUT, READ_READY);
        c.server().setInactivityTimeout(T);
        await("the first INACTIVITY_TIMEOUT", () -> in.recorder().saw(INACTIVITY_TIMEOUT));

        send(c.client(), UP, 0, 100);
        await("100 bytes still flow after the timeout", () -> in.vio().ndone() == 100);
        await("a second INACTIVITY_TIMEOUT", () -> in.recorder().count(INACTIVITY_TIMEOUT) == 2);
        List<Event> events = in.recorder().events();
        assertEquals(INACTIVITY_TIMEOUT, events.get(0));
        assertEquals(INACTIVITY_TIMEOUT, events.get(events.size() - 1));
        assertTrue(events.subList(1, events.size() - 1).stream().allMatch(e -> e == READ_READY), events::toString);
        long lastRead = times.get(times.size() - 2);
        assertFiredAfterTransfer(times.get(times.size() - 1), lastRead + T.toNanos(), "re-armed by the transfer");
        assertEquals(100, in.drain(UP, 0));
        assertTrue(c.server().isOpen());
    }

    @Test
    void an_active_timeout_fires_once_at_its_deadline_regardless_of_traffic() throws Exception {
        Connected c = connected();
        List<Long> fired = new CopyOnWriteArrayList<>();
        Streams.Receiver in = tracked(new Streams.Receiver(buffer(), UP)).onEvent((e, d) -> {
            if (e == ACTIVE_TIMEOUT) {
                fired.add(harness.nanoTime());
            }
        });
        in.start(c.server(), Long.MAX_VALUE);
        long t0 = harness.nanoTime();
        c.server().setActiveTimeout(T);
        startTicker(c.client());

        await("all the traffic", () -> in.received() == TICKS * 10L || in.failure() != null);
        clockPasses(T.multipliedBy(2));
        assertNull(in.failure());
        assertEquals(1, in.count(ACTIVE_TIMEOUT), "one-shot, although bytes kept moving");
        assertFiredAt(fired.get(0), t0 + T.toNanos(), "active timeout");
        assertEquals(0, in.count(INACTIVITY_TIMEOUT));
    }

    @Test
    void an_active_timeout_on_an_idle_read_fires_exactly_once() throws Exception {
        Connected c = connected();
        Reading in = postRead(c.server(), 100);
        List<Long> fired = timesOf(in.recorder(), ACTIVE_TIMEOUT);
        long t0 = harness.nanoTime();
        c.server().setActiveTimeout(T);
        await("ACTIVE_TIMEOUT", () -> in.recorder().saw(ACTIVE_TIMEOUT));
        assertFiredAt(fired.get(0), t0 + T.toNanos(), "active timeout");
        clockPasses(T.multipliedBy(3));
        assertEquals(List.of(ACTIVE_TIMEOUT), in.recorder().events());
        assertSame(in.vio(), in.recorder().entries().get(0).data());

        send(c.client(), UP, 0, 100);
        await("still usable", () -> in.recorder().saw(READ_COMPLETE));
        assertEquals(100, in.drain(UP, 0));
    }

    @Test
    void a_cancelled_inactivity_timeout_never_fires_even_after_activity() throws Exception {
        Connected c = connected();
        Reading in = postRead(c.server(), Long.MAX_VALUE);
        c.server().setInactivityTimeout(T);
        c.server().cancelInactivityTimeout();
        clockPasses(T.multipliedBy(3));
        assertEquals(List.of(), in.recorder().events());
        send(c.client(), UP, 0, 100);
        await("100 bytes", () -> in.vio().ndone() == 100);
        clockPasses(T.multipliedBy(3));
        assertTrue(in.recorder().events().stream().allMatch(e -> e == READ_READY),
                () -> "activity does not revive a cancelled timeout: " + in.recorder().events());
    }

    @Test
    void a_cancelled_active_timeout_never_fires() throws Exception {
        Connected c = connected();
        Reading in = postRead(c.server(), 100);
        c.server().setActiveTimeout(T);
        c.server().cancelActiveTimeout();
        clockPasses(T.multipliedBy(3));
        assertEquals(List.of(), in.recorder().events());
    }

    @Test
    void setting_the_inactivity_timeout_again_moves_its_deadline() throws Exception {
        Connected c = connected();
        Reading in = postRead(c.server(), 100);
        List<Long> fired = timesOf(in.recorder(), INACTIVITY_TIMEOUT);
        c.server().setInactivityTimeout(T);
        clockPasses(T.dividedBy(2));
        assertEquals(List.of(), in.recorder().events());
        long t1 = harness.nanoTime();
        c.server().setInactivityTimeout(T.multipliedBy(2));
        await("INACTIVITY_TIMEOUT", () -> in.recorder().saw(INACTIVITY_TIMEOUT));
        assertFiredAt(fired.get(0), t1 + T.multipliedBy(2).toNanos(), "the second setting's deadline");
        assertEquals(1, in.recorder().count(INACTIVITY_TIMEOUT));
    }

    @Test
    void non_positive_timeouts_are_refused() throws Exception {
        Connected c = connected();
        VConn vc = c.server();
        assertThrows(IllegalArgumentException.class, () -> vc.setInactivityTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> vc.setInactivityTimeout(Duration.ofMillis(-1)));
        assertThrows(IllegalArgumentException.class, () -> vc.setActiveTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> vc.setActiveTimeout(Duration.ofMillis(-1)));
    }

    @Test
    void a_closed_vconn_hears_no_timeout() throws Exception {
        Connected c = connected();
        Reading in = postRead(c.server(), 100);
        c.server().setInactivityTimeout(T);
        c.server().setActiveTimeout(T);
        c.server().close();
        clockPasses(T.multipliedBy(3));
        assertEquals(List.of(), in.recorder().events(), "TS statement 25: timeouts of a closed VConn are dropped");
    }

    /** Writes 10 pattern bytes every {@link #TICK} on the writer's loop, {@link #TICKS} times, then stops. */
    private Ticker startTicker(VConn writerEnd) {
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        Recorder writer = recorder();
        WriteVio vio = writerEnd.write(writer.continuation(), Long.MAX_VALUE, outReader);
        EventLoop loop = writerEnd.eventLoop();
        Ticker ticker = new Ticker();
        Runnable tick = new Runnable() {
            @Override
            public void run() {
                int i = ticker.ticks.getAndIncrement();
                locked(writer.continuation(), () -> UP.write(out, i * 10L, 10));
                vio.reenable();
                if (i + 1 < TICKS) {
                    loop.schedule(this, TICK);
                }
            }
        };
        loop.schedule(tick, TICK);
        return ticker;
    }

    private static final class Ticker {
        final AtomicInteger ticks = new AtomicInteger();
    }
}
