package dev.vconn.domain.pair;

import static dev.vconn.domain.Event.INACTIVITY_TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vconn.domain.VConn;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.testing.EventLog;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * docs/semantics.md, rule 3.6, when the inactivity timeout is set again on the VConn's loop (a proxy does so several
 * times per transaction): the timeout counts from the last call, to the nanosecond, and moving the deadline later
 * keeps the timer already armed instead of scheduling another.
 */
class InactivityTimerMoveTest extends PairFixture {
    private static final Duration T = Duration.ofSeconds(10);
    private static final Duration NS = Duration.ofNanos(1);

    private VConn readingEnd(EventLog reader) {
        VConnPair pair = pair();
        VConn end = pair.passive();
        IOBuffer in = buffer();
        in.allocReader();
        end.read(reader.continuation(), 100, in);
        return end;
    }

    private void onLoop(Runnable action) {
        loop.execute(action);
        loop.runReady();
    }

    @Test
    void setting_it_again_later_keeps_the_armed_timer_and_fires_at_the_new_deadline() {
        EventLog reader = new EventLog();
        VConn end = readingEnd(reader);
        onLoop(() -> end.setInactivityTimeout(T));
        long scheduled = loop.timersScheduled();
        loop.advance(Duration.ofSeconds(4));
        onLoop(() -> end.setInactivityTimeout(T)); // due at 14 s now
        assertEquals(scheduled, loop.timersScheduled(), "moving the deadline later schedules no timer");
        loop.advance(T.minus(NS));
        assertEquals(List.of(), reader.events(), "nothing one nanosecond before the new deadline");
        loop.advance(NS);
        assertEquals(List.of(INACTIVITY_TIMEOUT), reader.events(), "exactly at the new deadline");
        assertEquals(Duration.ofSeconds(14), loop.elapsed());
    }

    @Test
    void setting_a_shorter_timeout_fires_at_the_earlier_deadline_once() {
        EventLog reader = new EventLog();
        VConn end = readingEnd(reader);
        onLoop(() -> end.setInactivityTimeout(T));
        onLoop(() -> end.setInactivityTimeout(Duration.ofSeconds(2)));
        loop.advance(Duration.ofSeconds(2).minus(NS));
        assertEquals(List.of(), reader.events());
        loop.advance(NS);
        assertEquals(List.of(INACTIVITY_TIMEOUT), reader.events(), "at the earlier deadline");
        loop.advance(Duration.ofSeconds(30));
        assertEquals(List.of(INACTIVITY_TIMEOUT), reader.events(), "once: the longer timer was replaced");
    }
}
