package dev.vconn.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Continuations: lock sharing and the synchronous call (Traffic Server statement 39; test_Continuation). */
class ContinuationTest {
    @Test
    void call_forwards_the_event_and_data_when_the_caller_holds_the_lock() {
        List<Object> seen = new ArrayList<>();
        Continuation c = new Continuation((e, d) -> {
            seen.add(e);
            seen.add(d);
        });
        c.lock().lock();
        try {
            c.call(Event.IMMEDIATE, "data");
        } finally {
            c.lock().unlock();
        }
        assertEquals(List.of(Event.IMMEDIATE, "data"), seen);
    }

    @Test
    void call_without_the_lock_names_the_rule_instead_of_racing() throws Exception {
        // Traffic Server aborts the process when TSContCall meets a mutex held by another thread (statement 39).
        Continuation c = new Continuation((e, d) -> { });
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread other = new Thread(() -> {
            c.lock().lock();
            held.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                c.lock().unlock();
            }
        });
        other.start();
        assertTrue(held.await(10, TimeUnit.SECONDS));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.call(Event.IMMEDIATE, null));
        assertTrue(e.getMessage().contains("lock"), e.getMessage());
        release.countDown();
        other.join(10_000);
    }

    @Test
    void continuations_can_share_one_lock() {
        Continuation a = new Continuation((e, d) -> { });
        Continuation b = Continuation.sharingLockWith(a, (e, d) -> { });
        assertSame(a.lock(), b.lock());
        assertTrue(new Continuation((e, d) -> { }).lock() != a.lock(), "a new continuation has a lock of its own");
    }

    @Test
    void event_codes_round_trip_and_unknown_codes_are_refused() {
        for (Event e : Event.values()) {
            assertSame(e, Event.fromCode(e.code()));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Event.fromCode(999));
        assertTrue(e.getMessage().contains("999"));
        assertEquals(1, Event.IMMEDIATE.code());
        assertEquals(2, Event.TIMEOUT.code());
        assertEquals(200, Event.NET_CONNECT.code());
        assertEquals(201, Event.NET_CONNECT_FAILED.code());
        assertEquals(204, Event.NET_ACCEPT_FAILED.code());
    }
}
