package dev.vconn.domain.pair;

import static dev.vconn.domain.Event.ACTIVE_TIMEOUT;
import static dev.vconn.domain.Event.EOS;
import static dev.vconn.domain.Event.INACTIVITY_TIMEOUT;
import static dev.vconn.domain.Event.READ_COMPLETE;
import static dev.vconn.domain.Event.READ_READY;
import static dev.vconn.domain.Event.WRITE_COMPLETE;
import static dev.vconn.domain.Event.WRITE_READY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VConn;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.testing.BytePattern;
import dev.vconn.domain.testing.EventLog;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/**
 * docs/semantics.md, rule 3.6: inactivity and active timeouts on the in-process pair, on the
 * virtual clock. Every deadline is checked to the nanosecond: nothing one nanosecond before, the event exactly at it.
 */
class TimeoutsTest extends PairFixture {
    static final Duration T = Duration.ofSeconds(10);
    static final Duration NS = Duration.ofNanos(1);
    static final long SEC = 1_000_000_000L;

    /** An {@link EventLog} that also records the virtual time of each event. */
    final class Timed {
        final EventLog log = new EventLog();
        private final List<Long> at = new ArrayList<>();
        private volatile BiConsumer<Event, Object> then = (e, d) -> { };

        Timed() {
            log.onEvent((e, d) -> {
                synchronized (at) {
                    at.add(loop.nanoTime());
                }
                then.accept(e, d);
            });
        }

        Timed then(BiConsumer<Event, Object> reaction) {
            this.then = reaction;
            return this;
        }

        Continuation continuation() {
            return log.continuation();
        }

        List<Event> events() {
            return log.events();
        }

        List<Long> at() {
            synchronized (at) {
                return List.copyOf(at);
            }
        }

        /** The virtual times of the events of one kind. */
        List<Long> at(Event event) {
            List<EventLog.Entry> entries = log.entries();
            List<Long> times = at();
            List<Long> out = new ArrayList<>();
            for (int i = 0; i < entries.size(); i++) {
                if (entries.get(i).event() == event) {
                    out.add(times.get(i));
                }
            }
            return out;
        }
    }

    /** A write buffer and its reader, optionally pre-filled. */
    record Out(IOBuffer buffer, IOBufferReader reader) {
    }

    Out out(byte[] initial) {
        IOBuffer b = buffer();
        IOBufferReader r = b.allocReader();
        if (initial != null) {
            b.write(initial);
        }
        return new Out(b, r);
    }

    /** Adds bytes to a write VIO's buffer and reenables it, as a producer does. */
    static void send(Out out, WriteVio vio, byte[] data, int off, int len) {
        out.buffer().write(data, off, len);
        vio.reenable();
    }

    static byte[] drain(IOBufferReader reader) {
        byte[] b = new byte[(int) reader.readAvail()];
        reader.read(b, 0, b.length);
        return b;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Inactivity timeout: who gets it

    @Test
    void inactivity_timeout_goes_to_the_active_read_exactly_at_the_deadline() {
        VConnPair pair = pair();
        VConn end = pair.passive();
        Timed reader = new Timed();
        Timed writer = new Timed();
        IOBuffer in = buffer();
        in.allocReader();
        ReadVio rv = end.read(reader.continuation(), 100, in);
        end.write(writer.continuation(), 100, out(bytes(10, 1)).reader()); // held: the active end reads nothing
        end.setInactivityTimeout(T);
        loop.runReady();
        assertEquals(0, loop.nanoTime());

        loop.advance(T.minus(NS));
        assertEquals(List.of(), reader.events(), "nothing one nanosecond before the deadline");
        loop.advance(NS);
        assertEquals(List.of(INACTIVITY_TIMEOUT), reader.events(), "exactly at the deadline");
        assertSame(rv, reader.log.last().data(), "the event's data is the read VIO");
        assertEquals(List.of(10 * SEC), reader.at());
        assertEquals(List.of(), writer.events(), "only one operation is told: the read");
        assertNull(reader.log.lockViolation());
    }

    @Test
    void inactivity_timeout_goes_to_the_write_when_no_read_is_posted() {
        VConnPair pair = pair();
        VConn end = pair.passive();
        Timed writer = new Timed();
        WriteVio wv = end.write(writer.continuation(), 100, out(bytes(10, 1)).reader()); // held
        end.setInactivityTimeout(T);
        loop.runReady();
        loop.advance(T.minus(NS));
        assertEquals(List.of(), writer.events());
        loop.advance(NS);
        assertEquals(List.of(INACTIVITY_TIMEOUT), writer.events());
        assertSame(wv, writer.log.last().data());
        assertEquals(List.of(10 * SEC), writer.at());
    }

    @Test
    void inactivity_timeout_goes_to_the_write_when_the_read_completed() {
        VConnPair pair = pair();
        VConn end = pair.passive();
        Timed reader = new Timed();
        Timed writer = new Timed();
        IOBuffer in = buffer();
        in.allocReader();
        end.setInactivityTimeout(T);
        end.read(reader.continuation(), 10, in);
        WriteVio wv = end.write(writer.continuation(), 100, out(bytes(10, 1)).reader()); // held
        pair.active().write(new EventLog().continuation(), 10, out(bytes(10, 2)).reader());
        loop.runReady();
        assertEquals(List.of(READ_COMPLETE), reader.events());

        loop.advance(T.minus(NS));
        assertEquals(List.of(), writer.events());
        loop.advance(NS);
        assertEquals(List.of(READ_COMPLETE), reader.events(), "a completed read is not active");
        assertEquals(List.of(INACTIVITY_TIMEOUT), writer.events());
        assertSame(wv, writer.log.last().data());
    }

    @Test
    void inactivity_timeout_goes_to_the_write_when_the_read_is_for_zero_bytes() {
        VConnPair pair = pair();
        VConn end = pair.passive();
        Timed reader = new Timed();
        Timed writer = new Timed();
        IOBuffer in = buffer();
        in.allocReader();
        end.read(reader.continuation(), 0, in);
        end.write(writer.continuation(), 100, out(bytes(10, 1)).reader()); // held
        end.setInactivityTimeout(T);
        loop.runReady();
        loop.advance(T);
        assertEquals(List.of(), reader.events(), "nbytes == 0 produces no events, timeouts included");
        assertEquals(List.of(INACTIVITY_TIMEOUT), writer.events());
    }

    @Test
    void inactivity_timeout_with_neither_operation_active_is_dropped() {
        VConnPair pair = pair();
        VConn end = pair.passive();
        Timed reader = new Timed();
        Timed writer = new Timed();
        IOBuffer in = buffer();
        in.allocReader();
        end.setInactivityTimeout(T);
        // Both operations complete at t = 0.
        end.read(reader.continuation(), 10, in);
        end.write(writer.continuation(), 10, out(bytes(10, 1)).reader());
        IOBuffer peerIn = buffer();
        peerIn.allocReader();
        pair.active().read(new EventLog().continuation(), 10, peerIn);
        pair.active().write(new EventLog().continuation(), 10, out(bytes(10, 2)).reader());
        loop.runReady();
        assertEquals(List.of(READ_COMPLETE), reader.events());
        assertEquals(List.of(WRITE_COMPLETE), writer.events());

        loop.advance(Duration.ofMinutes(5));
        assertEquals(List.of(READ_COMPLETE), reader.events(), "dropped");
        assertEquals(List.of(WRITE_COMPLETE), writer.events(), "dropped");
        assertEquals(0, loop.timerCount(), "a fired timeout does not re-arm by itself");
    }

    @Test
    void inactivity_timeout_on_an_idle_vconn_without_operations_is_dropped() {
        VConnPair pair = pair();
        pair.passive().setInactivityTimeout(T);
        loop.runReady();
        assertEquals(1, loop.timerCount());
        loop.advance(T);
        assertEquals(0, loop.timerCount(), "fired, told nobody, not re-armed");
        loop.advance(Duration.ofMinutes(5));
        assertEquals(0, loop.timerCount());
    }

    // ------------------------------------------------------------------------------------------------------------
    // Inactivity timeout: it counts from the last transfer

    @Test
    void traffic_before_the_deadline_pushes_it_back() {
        VConnPair pair = pair();
        VConn end = pair.passive();
        Timed reader = new Timed();
        IOBuffer in = buffer();
        in.allocReader();
        end.read(reader.continuation(), 1000, in);
        end.setInactivityTimeout(T);
        Out out = out(null);
        EventLog writer = new EventLog();
        WriteVio wv = pair.active().write(writer.continuation(), 1000, out.reader());
        loop.runReady();

        loop.advance(Duration.ofSeconds(6));
        send(out, wv, bytes(10, 1), 0, 10);
        loop.runReady();
        assertEquals(List.of(READ_READY), reader.events());
        assertEquals(List.of(6 * SEC), reader.at());

        loop.advance(T.minus(NS)); // to 16 s - 1 ns: the first deadline (10 s) passed silently
        assertEquals(List.of(READ_READY), reader.events(), "the transfer at 6 s pushed the deadline to 16 s");
        loop.advance(NS);
        assertEquals(List.of(READ_READY, INACTIVITY_TIMEOUT), reader.events());
        assertEquals(List.of(6 * SEC, 16 * SEC), reader.at());
    }

    @Test
    void traffic_on_the_write_side_pushes_it_back_too() {
        VConnPair pair = pair();
        VConn end = pair.active();
        Timed writer = new Timed();
        Out out = out(null);
        WriteVio wv = end.write(writer.continuation(), 1000, out.reader());
        end.setInactivityTimeout(T);
        IOBuffer in = buffer();
        IOBufferReader inReader = in.allocReader();
        pair.passive().read(new EventLog().onEvent((e, d) -> inReader.consume(inReader.readAvail())).continuation(),
                1000, in);
        loop.runReady();
        assertEquals(List.of(WRITE_READY), writer.events(), "asks for data");

        loop.advance(Duration.ofSeconds(3));
        send(out, wv, bytes(10, 1), 0, 10);
        loop.runReady();
        loop.advance(Duration.ofSeconds(4)); // t = 7 s
        send(out, wv, bytes(10, 2), 0, 10);
        loop.runReady();
        int before = writer.events().size();
        loop.advance(T.minus(NS)); // t = 17 s - 1 ns
        assertEquals(before, writer.events().size(), "nothing before 7 s + 10 s");
        assertEquals(0, writer.log.count(INACTIVITY_TIMEOUT));
        loop.advance(NS);
        assertEquals(INACTIVITY_TIMEOUT, writer.log.last().event());
        assertEquals(List.of(17 * SEC), writer.at(INACTIVITY_TIMEOUT));
    }

    @Test
    void after_firing_it_stays_quiet_until_the_next_transfer_re_arms_it_and_the_vconn_stays_usable() {
        VConnPair pair = pair();
        VConn end = pair.passive();
        Timed reader = new Timed();
        IOBuffer in = buffer();
        IOBufferReader inReader = in.allocReader();
        ReadVio rv = end.read(reader.continuation(), 100, in);
        end.setInactivityTimeout(T);
        Out out = out(null);
        EventLog writer = new EventLog();
        WriteVio wv = pair.active().write(writer.continuation(), 100, out.reader());
        byte[] data = bytes(100, 7);
        loop.runReady();

        loop.advance(T);
        assertEquals(List.of(INACTIVITY_TIMEOUT), reader.events());
        loop.advance(Duration.ofSeconds(100)); // t = 110 s
        assertEquals(List.of(INACTIVITY_TIMEOUT), reader.events(), "fires once, then waits for a transfer");
        assertEquals(0, loop.timerCount(), "no timer armed after it fired");

        send(out, wv, data, 0, 30);
        loop.runReady();
        assertEquals(List.of(INACTIVITY_TIMEOUT, READ_READY), reader.events(), "still usable after a timeout");
        loop.advance(T.minus(NS));
        assertEquals(List.of(INACTIVITY_TIMEOUT, READ_READY), reader.events());
        loop.advance(NS);
        assertEquals(List.of(INACTIVITY_TIMEOUT, READ_READY, INACTIVITY_TIMEOUT), reader.events(),
                "the transfer at 110 s re-armed it for 120 s");
        assertEquals(List.of(10 * SEC, 110 * SEC, 120 * SEC), reader.at());

        send(out, wv, data, 30, 70);
        loop.runReady();
        assertEquals(List.of(INACTIVITY_TIMEOUT, READ_READY, INACTIVITY_TIMEOUT, READ_COMPLETE), reader.events());
        assertEquals(100, rv.ndone());
        assertArrayEquals(data, drain(inReader));
        assertEquals(WRITE_COMPLETE, writer.last().event());

        loop.advance(Duration.ofMinutes(5));
        assertEquals(4, reader.events().size(), "a completed read gets no timeout");
    }

    @Test
    void cancel_inactivity_timeout_stops_it_and_transfers_do_not_re_arm_it() {
        VConnPair pair = pair();
        VConn end = pair.passive();
        Timed reader = new Timed();
        IOBuffer in = buffer();
        in.allocReader();
        end.read(reader.continuation(), 1000, in);
        end.setInactivityTimeout(T);
        Out out = out(null);
        WriteVio wv = pair.active().write(new EventLog().continuation(), 1000, out.reader());
        loop.runReady();
        loop.advance(Duration.ofSeconds(5));
        end.cancelInactivityTimeout();
        loop.runReady();
        assertEquals(1, loop.timerCount(), "the armed timer stays, to be reused by a timeout set again");
        loop.advance(Duration.ofMinutes(1));
        assertEquals(List.of(), reader.events(), "the timer fired after the cancel and delivered nothing");
        assertEquals(0, loop.timerCount(), "a fired timer of a cancelled timeout is not re-armed");

        send(out, wv, bytes(10, 1), 0, 10);
        loop.runReady();
        loop.advance(Duration.ofMinutes(1));
        assertEquals(List.of(READ_READY), reader.events(), "a transfer does not bring a cancelled timeout back");
        assertEquals(0, loop.timerCount());

        long setAt = loop.nanoTime();
        end.setInactivityTimeout(T);
        loop.runReady();
        loop.advance(T);
        assertEquals(List.of(READ_READY, INACTIVITY_TIMEOUT), reader.events(), "setting it again works");
        assertEquals(setAt + 10 * SEC, reader.at().get(1));
    }

    @Test
    void a_timeout_cancelled_and_set_again_reuses_the_armed_timer_and_fires_at_the_new_deadline() {
        VConnPair pair = pair();
        VConn end = pair.passive();
        Timed reader = new Timed();
        IOBuffer in = buffer();
        in.allocReader();
        end.read(reader.continuation(), 100, in);
        end.setInactivityTimeout(T);
        loop.runReady();
        assertEquals(1, loop.timerCount());
        loop.advance(Duration.ofSeconds(4));
        for (int request = 0; request < 20; request++) { // what a proxy does between keep-alive requests
            end.cancelInactivityTimeout();
            end.setInactivityTimeout(T);
        }
        loop.runReady();
        assertEquals(1, loop.timerCount(), "no new timer per cancel and set");
        long setAt = loop.nanoTime();
        loop.advance(Duration.ofSeconds(6));
        assertEquals(List.of(), reader.events(), "the first deadline passed: the timer re-armed for the rest");
        loop.advance(Duration.ofSeconds(4));
        assertEquals(List.of(INACTIVITY_TIMEOUT), reader.events());
        assertEquals(List.of(setAt + 10 * SEC), reader.at(), "exactly T after the last set");
    }

    @Test
    void a_shorter_new_inactivity_timeout_replaces_the_old_one() {
        VConnPair pair = pair();
        VConn end = pair.passive();
        Timed reader = new Timed();
        IOBuffer in = buffer();
        in.allocReader();
        end.read(reader.continuation(), 100, in);
        end.setInactivityTimeout(T);
        loop.runReady();
        loop.advance(Duration.ofSeconds(1));
        end.setInactivityTimeout(Duration.ofSeconds(2)); // at 1 s: the deadline becomes 3 s
        loop.runReady();

        loop.advance(Duration.ofSeconds(2).minus(NS));
        assertEquals(List.of(), reader.events());
        loop.advance(NS);
        assertEquals(List.of(INACTIVITY_TIMEOUT), reader.events(),
                "a 2 s timeout set at 1 s fires at 3 s, not at the replaced 10 s deadline");
        assertEquals(List.of(3 * SEC), reader.at());
        loop.advance(Duration.ofSeconds(20));
        assertEquals(List.of(INACTIVITY_TIMEOUT), reader.events(), "the old deadline does not fire as well");
    }

    @Test
    void a_longer_new_inactivity_timeout_replaces_the_old_one() {
        VConnPair pair = pair();
        VConn end = pair.passive();
        Timed reader = new Timed();
        IOBuffer in = buffer();
        in.allocReader();
        end.read(reader.continuation(), 100, in);
        end.setInactivityTimeout(Duration.ofSeconds(2));
        loop.runReady();
        loop.advance(Duration.ofSeconds(1));
        end.setInactivityTimeout(T); // at 1 s: the deadline becomes 11 s
        loop.runReady();

        loop.advance(T.minus(NS));
        assertEquals(List.of(), reader.events(), "the replaced 2 s deadline (3 s) does not fire");
        loop.advance(NS);
        assertEquals(List.of(INACTIVITY_TIMEOUT), reader.events());
        assertEquals(List.of(11 * SEC), reader.at());
    }

    // ------------------------------------------------------------------------------------------------------------
    // Active timeout

    @Test
    void active_timeout_fires_once_at_set_time_plus_t_regardless_of_traffic() {
        VConnPair pair = pair();
        VConn end = pair.passive();
        IOBuffer in = buffer();
        IOBufferReader inReader = in.allocReader();
        Timed reader = new Timed().then((e, d) -> inReader.consume(inReader.readAvail()));
        ReadVio rv = end.read(reader.continuation(), Long.MAX_VALUE, in);
        Out out = out(null);
        WriteVio wv = pair.active().write(new EventLog().continuation(), Long.MAX_VALUE, out.reader());
        end.setActiveTimeout(Duration.ofSeconds(5));
        loop.runReady();
        for (int i = 1; i <= 4; i++) {
            loop.advance(Duration.ofSeconds(1));
            send(out, wv, bytes(10, i), 0, 10);
            loop.runReady();
        }
        loop.advance(Duration.ofSeconds(1).minus(NS));
        assertEquals(List.of(READ_READY, READ_READY, READ_READY, READ_READY), reader.events(),
                "traffic does not push the active timeout back; nothing before 5 s");
        loop.advance(NS);
        assertEquals(List.of(READ_READY, READ_READY, READ_READY, READ_READY, ACTIVE_TIMEOUT), reader.events());
        assertSame(rv, reader.log.last().data());
        assertEquals(List.of(5 * SEC), reader.at(ACTIVE_TIMEOUT));

        for (int i = 0; i < 10; i++) {
            loop.advance(Duration.ofSeconds(3));
            send(out, wv, bytes(10, i), 0, 10);
            loop.runReady();
        }
        loop.advance(Duration.ofMinutes(5));
        assertEquals(1, reader.log.count(ACTIVE_TIMEOUT), "one-shot");
        assertEquals(14, reader.log.count(READ_READY), "the VConn stays usable after it");
        assertEquals(140, rv.ndone());
    }

    @Test
    void active_timeout_goes_to_the_write_when_no_read_is_active() {
        VConnPair pair = pair();
        VConn end = pair.passive();
        Timed writer = new Timed();
        WriteVio wv = end.write(writer.continuation(), 100, out(bytes(10, 1)).reader()); // held
        end.setActiveTimeout(Duration.ofSeconds(5));
        loop.runReady();
        loop.advance(Duration.ofSeconds(5).minus(NS));
        assertEquals(List.of(), writer.events());
        loop.advance(NS);
        assertEquals(List.of(ACTIVE_TIMEOUT), writer.events());
        assertSame(wv, writer.log.last().data());
        assertEquals(List.of(5 * SEC), writer.at());
    }

    @Test
    void active_timeout_with_neither_operation_active_is_dropped() {
        VConnPair pair = pair();
        VConn end = pair.passive();
        Timed reader = new Timed();
        IOBuffer in = buffer();
        in.allocReader();
        end.read(reader.continuation(), 10, in);
        pair.active().write(new EventLog().continuation(), 10, out(bytes(10, 1)).reader());
        end.setActiveTimeout(Duration.ofSeconds(5));
        loop.runReady();
        assertEquals(List.of(READ_COMPLETE), reader.events());
        loop.advance(Duration.ofMinutes(1));
        assertEquals(List.of(READ_COMPLETE), reader.events());
        assertEquals(0, loop.timerCount());
    }

    @Test
    void cancel_active_timeout_stops_it() {
        VConnPair pair = pair();
        VConn end = pair.passive();
        Timed reader = new Timed();
        IOBuffer in = buffer();
        in.allocReader();
        end.read(reader.continuation(), 100, in);
        end.setActiveTimeout(Duration.ofSeconds(5));
        loop.runReady();
        loop.advance(Duration.ofSeconds(2));
        end.cancelActiveTimeout();
        loop.runReady();
        assertEquals(0, loop.timerCount());
        loop.advance(Duration.ofMinutes(1));
        assertEquals(List.of(), reader.events());
    }

    @Test
    void a_new_active_timeout_replaces_the_old_one() {
        VConnPair pair = pair();
        VConn end = pair.passive();
        Timed reader = new Timed();
        IOBuffer in = buffer();
        in.allocReader();
        end.read(reader.continuation(), 100, in);
        end.setActiveTimeout(T);
        loop.runReady();
        loop.advance(Duration.ofSeconds(2));
        end.setActiveTimeout(Duration.ofSeconds(3)); // at 2 s: fires at 5 s
        loop.runReady();
        loop.advance(Duration.ofSeconds(3).minus(NS));
        assertEquals(List.of(), reader.events());
        loop.advance(NS);
        assertEquals(List.of(ACTIVE_TIMEOUT), reader.events());
        assertEquals(List.of(5 * SEC), reader.at());
        loop.advance(Duration.ofMinutes(1));
        assertEquals(List.of(ACTIVE_TIMEOUT), reader.events(), "the replaced 10 s timeout does not fire");
    }

    @Test
    void after_an_active_timeout_the_vconn_is_usable_and_the_timeout_can_be_set_again() {
        VConnPair pair = pair();
        VConn end = pair.passive();
        Timed reader = new Timed();
        IOBuffer in = buffer();
        IOBufferReader inReader = in.allocReader();
        ReadVio rv = end.read(reader.continuation(), 100, in);
        Out out = out(null);
        EventLog writer = new EventLog();
        WriteVio wv = pair.active().write(writer.continuation(), 100, out.reader());
        end.setActiveTimeout(Duration.ofSeconds(5));
        loop.runReady();
        loop.advance(Duration.ofSeconds(5));
        assertEquals(List.of(ACTIVE_TIMEOUT), reader.events());

        byte[] data = bytes(100, 3);
        send(out, wv, data, 0, 40);
        loop.runReady();
        assertEquals(List.of(ACTIVE_TIMEOUT, READ_READY), reader.events());
        end.setActiveTimeout(Duration.ofSeconds(1)); // at 5 s
        loop.runReady();
        loop.advance(Duration.ofSeconds(1));
        assertEquals(List.of(ACTIVE_TIMEOUT, READ_READY, ACTIVE_TIMEOUT), reader.events());
        assertEquals(List.of(5 * SEC, 5 * SEC, 6 * SEC), reader.at());

        send(out, wv, data, 40, 60);
        loop.runReady();
        assertEquals(List.of(ACTIVE_TIMEOUT, READ_READY, ACTIVE_TIMEOUT, READ_COMPLETE), reader.events());
        assertEquals(100, rv.ndone());
        assertArrayEquals(data, drain(inReader));
        assertEquals(WRITE_COMPLETE, writer.last().event());
    }

    // ------------------------------------------------------------------------------------------------------------
    // Closed and shut-down ends

    @Test
    void timeouts_of_a_closed_end_are_dropped_and_its_timers_cancelled() {
        VConnPair pair = pair();
        VConn end = pair.passive();
        Timed reader = new Timed();
        IOBuffer in = buffer();
        in.allocReader();
        end.read(reader.continuation(), 100, in);
        end.setInactivityTimeout(T);
        end.setActiveTimeout(Duration.ofSeconds(15));
        Timed peer = new Timed();
        IOBuffer peerIn = buffer();
        peerIn.allocReader();
        pair.active().read(peer.continuation(), 100, peerIn);
        loop.runReady();
        assertEquals(2, loop.timerCount());

        loop.advance(Duration.ofSeconds(1));
        end.close();
        loop.runReady();
        assertEquals(0, loop.timerCount(), "closing cancels the inactivity and active timers");
        assertEquals(List.of(EOS), peer.events(), "the open peer's reader gets EOS");

        end.setInactivityTimeout(T); // on a closed VConn: ignored
        end.setActiveTimeout(T);
        loop.runReady();
        assertEquals(0, loop.timerCount(), "a timeout set on a closed VConn arms nothing");
        loop.advance(Duration.ofMinutes(1));
        assertEquals(List.of(), reader.events(), "no timeout on a closed end");
        assertEquals(List.of(EOS), peer.events(), "the peer had no timeout set");
    }

    @Test
    void closing_both_ends_leaves_no_timer_behind() {
        VConnPair pair = pair();
        List<Timed> logs = new ArrayList<>();
        for (VConn end : List.of(pair.active(), pair.passive())) {
            Timed reader = new Timed();
            Timed writer = new Timed();
            logs.add(reader);
            logs.add(writer);
            IOBuffer in = buffer();
            in.allocReader();
            end.read(reader.continuation(), 1000, in);
            end.write(writer.continuation(), 10, out(bytes(10, 1)).reader()); // completes at t = 0
            end.setInactivityTimeout(T);
            end.setActiveTimeout(Duration.ofSeconds(15));
        }
        loop.runReady();
        assertEquals(WRITE_COMPLETE, logs.get(1).log.last().event());
        assertEquals(WRITE_COMPLETE, logs.get(3).log.last().event());
        assertEquals(4, loop.timerCount());
        loop.advance(Duration.ofSeconds(1));
        logs.forEach(l -> l.log.clear());

        pair.active().close();
        pair.passive().close();
        loop.runReady();
        assertEquals(0, loop.timerCount(), "closing cancels every timer of both ends");
        loop.runUntilIdle();
        for (Timed log : logs) {
            assertEquals(List.of(), log.events(), "no event, timeouts included, after both ends closed");
        }
        assertTrue(pair.isFreed());
    }

    /**
     * The most common idle state of a full-duplex connection (a keep-alive session waiting for the next request):
     * both ends have a read posted and a write posted with nothing to send yet. Nothing moves, so the loop must go
     * idle and each end's read gets its inactivity timeout.
     */
    @Test
    void an_idle_full_duplex_pair_goes_idle_and_both_reads_time_out() {
        VConnPair pair = pair();
        List<Timed> readers = new ArrayList<>();
        List<Timed> writers = new ArrayList<>();
        for (VConn end : List.of(pair.active(), pair.passive())) {
            Timed reader = new Timed();
            Timed writer = new Timed();
            readers.add(reader);
            writers.add(writer);
            IOBuffer in = buffer();
            in.allocReader();
            end.read(reader.continuation(), 1000, in);
            end.write(writer.continuation(), 1000, out(null).reader()); // nothing to send yet
            end.setInactivityTimeout(T);
        }
        assertDoesNotThrow(() -> loop.runReady(),
                "an idle full-duplex pair must let the loop go idle, not wake its ends in turn forever");
        assertEquals(0, loop.readyCount());
        loop.advance(T.minus(NS));
        for (Timed w : writers) {
            assertEquals(List.of(WRITE_READY), w.events(), "one WRITE_READY asks for data, then silence");
        }
        loop.advance(NS);
        for (Timed r : readers) {
            assertEquals(List.of(INACTIVITY_TIMEOUT), r.events());
            assertEquals(List.of(10 * SEC), r.at());
        }
        for (Timed w : writers) {
            assertEquals(List.of(WRITE_READY), w.events(), "the read, not the write, gets the timeout");
        }
    }

    @Test
    void closing_inside_a_timeout_callback_drops_the_other_timeout_due_at_the_same_instant() {
        VConnPair pair = pair();
        VConn end = pair.passive();
        Timed reader = new Timed();
        reader.then((e, d) -> end.close());
        IOBuffer in = buffer();
        in.allocReader();
        end.read(reader.continuation(), 100, in);
        end.setInactivityTimeout(Duration.ofSeconds(5));
        end.setActiveTimeout(Duration.ofSeconds(5));
        loop.runReady();
        loop.advance(Duration.ofSeconds(5));
        assertEquals(List.of(INACTIVITY_TIMEOUT), reader.events(), "the inactivity timer was armed first");
        loop.advance(Duration.ofMinutes(1));
        assertEquals(List.of(INACTIVITY_TIMEOUT), reader.events(), "the active timeout of a closed end is dropped");
        assertEquals(0, loop.timerCount());
    }

    @Test
    void a_read_shut_down_gets_no_timeout_the_write_does() {
        VConnPair pair = pair();
        VConn end = pair.passive();
        Timed reader = new Timed();
        Timed writer = new Timed();
        IOBuffer in = buffer();
        in.allocReader();
        end.read(reader.continuation(), 100, in);
        WriteVio wv = end.write(writer.continuation(), 100, out(bytes(10, 1)).reader()); // held
        end.setInactivityTimeout(T);
        end.setActiveTimeout(Duration.ofSeconds(15));
        end.shutdown(ShutdownHow.READ);
        loop.runReady();

        loop.advance(T.minus(NS));
        assertEquals(List.of(), writer.events());
        loop.advance(NS);
        assertEquals(List.of(INACTIVITY_TIMEOUT), writer.events());
        loop.advance(Duration.ofSeconds(5));
        assertEquals(List.of(INACTIVITY_TIMEOUT, ACTIVE_TIMEOUT), writer.events());
        assertEquals(List.of(10 * SEC, 15 * SEC), writer.at());
        assertSame(wv, writer.log.last().data());
        assertEquals(List.of(), reader.events(), "a shut-down read gets nothing, timeouts included");
    }

    @Test
    void a_write_shut_down_gets_no_timeout_and_with_both_shut_it_is_dropped() {
        VConnPair pair = pair();
        VConn end = pair.passive();
        Timed reader = new Timed();
        Timed writer = new Timed();
        IOBuffer in = buffer();
        in.allocReader();
        // The peer reads what we write, so shutting our write down does not leave its reader idle.
        IOBuffer peerIn = buffer();
        peerIn.allocReader();
        pair.active().read(new EventLog().continuation(), 1000, peerIn);
        end.write(writer.continuation(), 100, out(bytes(10, 1)).reader());
        end.setActiveTimeout(Duration.ofSeconds(5));
        end.shutdown(ShutdownHow.WRITE);
        loop.runReady();
        loop.advance(Duration.ofMinutes(1));
        assertEquals(List.of(), writer.events(), "a shut-down write gets no timeout");

        end.read(reader.continuation(), 100, in);
        end.setActiveTimeout(Duration.ofSeconds(5));
        loop.runReady();
        loop.advance(Duration.ofSeconds(5));
        assertEquals(List.of(ACTIVE_TIMEOUT), reader.events(), "the read still gets it");

        end.shutdown(ShutdownHow.READ);
        end.setActiveTimeout(Duration.ofSeconds(5));
        end.setInactivityTimeout(Duration.ofSeconds(5));
        loop.runReady();
        loop.advance(Duration.ofMinutes(1));
        assertEquals(List.of(ACTIVE_TIMEOUT), reader.events(), "both directions shut: dropped");
        assertEquals(List.of(), writer.events());
        assertEquals(0, loop.timerCount());
    }

    @Test
    void non_positive_durations_are_refused() {
        VConnPair pair = pair();
        VConn end = pair.passive();
        for (Duration bad : List.of(Duration.ZERO, Duration.ofNanos(-1), Duration.ofSeconds(-10))) {
            IllegalArgumentException inactivity = assertThrows(IllegalArgumentException.class,
                    () -> end.setInactivityTimeout(bad));
            assertTrue(inactivity.getMessage().contains("inactivity timeout must be positive"),
                    inactivity.getMessage());
            IllegalArgumentException active = assertThrows(IllegalArgumentException.class,
                    () -> end.setActiveTimeout(bad));
            assertTrue(active.getMessage().contains("active timeout must be positive"), active.getMessage());
        }
        assertEquals(0, loop.readyCount(), "a refused timeout posts nothing");
        loop.runReady();
        assertEquals(0, loop.timerCount());
    }

    // ------------------------------------------------------------------------------------------------------------
    // Port of Traffic Server's PVC regression case "itimeout"

    /**
     * The active end declares a write of 8000 bytes but produces only 6000, 512 bytes a second; the passive end
     * reads 8000 and consumes as it goes. The writer (inactivity timeout 10 s) gets INACTIVITY_TIMEOUT exactly 10 s
     * of virtual time after the last byte moved; it then shuts its write side, and the passive reader (2000 short,
     * inactivity timeout 20 s) gets EOS at that same instant.
     */
    @Test
    void itimeout_the_writer_that_stops_short_gets_inactivity_timeout_10_s_after_its_last_byte() {
        VConnPair pair = pair();
        VConn active = pair.active();
        VConn passive = pair.passive();
        BytePattern pattern = new BytePattern(1);
        long[] received = {0};
        List<Long> lastMove = new ArrayList<>(List.of(-1L));

        IOBuffer in = buffer();
        IOBufferReader inReader = in.allocReader();
        Timed reader = new Timed();
        reader.then((e, d) -> {
            received[0] += pattern.consumeAndCheck(inReader, received[0]);
            if (e == READ_READY) {
                lastMove.set(0, loop.nanoTime());
            } else {
                passive.shutdown(ShutdownHow.READ);
                passive.close();
            }
        });
        Out out = out(null);
        Timed writer = new Timed();
        writer.then((e, d) -> {
            if (e == INACTIVITY_TIMEOUT) {
                active.shutdown(ShutdownHow.WRITE);
            }
        });

        active.setInactivityTimeout(Duration.ofSeconds(10));
        passive.setInactivityTimeout(Duration.ofSeconds(20));
        ReadVio rv = passive.read(reader.continuation(), 8000, in);
        WriteVio wv = active.write(writer.continuation(), 8000, out.reader());
        // The producer: 512 bytes a second, under the writer's lock, until 6000 were produced (last piece at 11 s).
        long[] produced = {0};
        Runnable producer = new Runnable() {
            @Override
            public void run() {
                writer.continuation().lock().lock();
                try {
                    int n = (int) Math.min(512, 6000 - produced[0]);
                    pattern.write(out.buffer(), produced[0], n);
                    produced[0] += n;
                    wv.reenable();
                } finally {
                    writer.continuation().lock().unlock();
                }
                if (produced[0] < 6000) {
                    loop.schedule(this, Duration.ofSeconds(1));
                }
            }
        };
        loop.execute(producer);
        loop.runReady();

        assertTrue(loop.runUntil(() -> produced[0] == 6000, Duration.ofSeconds(30)));
        loop.runReady();
        assertEquals(11 * SEC, loop.nanoTime(), "the last piece was produced at 11 s");
        assertEquals(6000, wv.ndone());
        assertEquals(6000, rv.ndone());
        assertEquals(List.of(11 * SEC), lastMove, "the last byte moved at 11 s");

        loop.advance(Duration.ofSeconds(10).minus(NS));
        assertEquals(0, writer.log.count(INACTIVITY_TIMEOUT), "nothing before 11 s + 10 s");
        assertEquals(0, reader.log.count(EOS));
        loop.advance(NS);
        assertEquals(INACTIVITY_TIMEOUT, writer.log.last().event());
        assertEquals(List.of(21 * SEC), writer.at(INACTIVITY_TIMEOUT));
        assertEquals(6000, writer.log.last().ndone(), "the writer is 2000 bytes short");
        assertEquals(0, writer.log.count(WRITE_COMPLETE));

        loop.runReady();
        assertEquals(EOS, reader.log.last().event(), "the passive reader gets EOS when the writer gives up");
        assertEquals(List.of(21 * SEC), reader.at(EOS));
        assertEquals(0, reader.log.count(INACTIVITY_TIMEOUT), "its own 20 s timeout never came due");
        assertEquals(6000, received[0]);
        assertEquals(READ_READY, reader.events().get(0));

        active.close();
        loop.runUntilIdle();
        assertTrue(pair.isFreed());
        assertEquals(0, loop.timerCount());
        assertNull(writer.log.lockViolation());
        assertNull(reader.log.lockViolation());
    }
}
