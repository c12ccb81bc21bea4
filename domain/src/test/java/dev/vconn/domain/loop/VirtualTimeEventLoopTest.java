package dev.vconn.domain.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The deterministic loop: order, virtual time, and the driving calls' stopping rules. */
class VirtualTimeEventLoopTest {
    private final VirtualTimeEventLoop loop = new VirtualTimeEventLoop();

    @Test
    void tasks_run_in_order_and_timers_by_deadline_then_scheduling_order() {
        List<String> order = new ArrayList<>();
        loop.schedule(() -> order.add("t20"), Duration.ofMillis(20));
        loop.schedule(() -> order.add("t10a"), Duration.ofMillis(10));
        loop.schedule(() -> order.add("t10b"), Duration.ofMillis(10));
        loop.execute(() -> order.add("a"));
        loop.execute(() -> order.add("b"));
        loop.runUntilIdle();
        assertEquals(List.of("a", "b", "t10a", "t10b", "t20"), order);
        assertEquals(Duration.ofMillis(20), loop.elapsed());
    }

    @Test
    void time_moves_only_when_driven() {
        List<Long> fired = new ArrayList<>();
        loop.schedule(() -> fired.add(loop.nanoTime()), Duration.ofSeconds(30));
        loop.runReady();
        assertEquals(List.of(), fired);
        loop.advance(Duration.ofSeconds(30).minusNanos(1));
        assertEquals(List.of(), fired);
        loop.advance(Duration.ofNanos(1));
        assertEquals(List.of(Duration.ofSeconds(30).toNanos()), fired);
    }

    @Test
    void run_until_idle_leaves_the_clock_usable_for_later_timers() {
        loop.schedule(() -> { }, Duration.ofSeconds(5));
        loop.runUntilIdle();
        assertEquals(Duration.ofSeconds(5), loop.elapsed());
        List<Long> fired = new ArrayList<>();
        loop.schedule(() -> fired.add(loop.nanoTime()), Duration.ofSeconds(1));
        loop.runUntilIdle();
        assertEquals(List.of(Duration.ofSeconds(6).toNanos()), fired);
    }

    @Test
    void run_until_stops_a_loop_that_never_idles_once_the_condition_holds() {
        AtomicLong ticks = new AtomicLong();
        Runnable[] forever = new Runnable[1];
        forever[0] = () -> {
            ticks.incrementAndGet();
            loop.execute(forever[0]);
        };
        loop.execute(forever[0]);
        assertTrue(loop.runUntil(() -> ticks.get() >= 1000, Duration.ofSeconds(1)));
        assertTrue(ticks.get() < 2000, "stopped soon after the condition held: " + ticks.get());
    }

    @Test
    void run_until_gives_up_at_the_virtual_limit() {
        loop.schedule(() -> { }, Duration.ofSeconds(10));
        assertFalse(loop.runUntil(() -> false, Duration.ofSeconds(3)));
        assertEquals(1, loop.timerCount(), "the timer past the limit did not fire");
    }

    @Test
    void a_cancelled_timer_never_fires_and_negative_delays_are_refused() {
        List<String> fired = new ArrayList<>();
        var t = loop.schedule(() -> fired.add("x"), Duration.ofMillis(1));
        assertTrue(t.cancel());
        assertFalse(t.cancel());
        loop.runUntilIdle();
        assertEquals(List.of(), fired);
        assertThrows(IllegalArgumentException.class, () -> loop.schedule(() -> { }, Duration.ofMillis(-1)));
    }

    @Test
    void the_driving_thread_is_the_loop_thread_only_while_it_drives() {
        boolean[] inside = new boolean[1];
        loop.execute(() -> inside[0] = loop.inEventLoop());
        assertFalse(loop.inEventLoop());
        loop.runReady();
        assertTrue(inside[0]);
        assertFalse(loop.inEventLoop());
    }
}
