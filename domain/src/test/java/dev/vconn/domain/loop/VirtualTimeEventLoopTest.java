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

    // ---------------------------------------------------------------------------------------------------------
    // Bounded driving

    /** A task that re-posts itself for ever: a loop that never becomes idle. */
    private Runnable forever(AtomicLong ticks, String name) {
        Runnable[] task = new Runnable[1];
        task[0] = new Runnable() {
            @Override
            public void run() {
                ticks.incrementAndGet();
                loop.execute(task[0]);
            }

            @Override
            public String toString() {
                return name;
            }
        };
        return task[0];
    }

    @Test
    void run_for_returns_from_a_loop_that_never_idles_with_the_clock_moved_by_exactly_that_and_timers_fired() {
        AtomicLong ticks = new AtomicLong();
        loop.execute(forever(ticks, "endless"));
        List<Long> fired = new ArrayList<>();
        loop.schedule(() -> fired.add(loop.nanoTime()), Duration.ofMillis(3));
        loop.runFor(Duration.ofMillis(10));
        assertEquals(Duration.ofMillis(10), loop.elapsed());
        assertEquals(List.of(Duration.ofMillis(3).toNanos()), fired, "a timer fires at its deadline while busy");
        long rounds = Duration.ofMillis(10).toNanos() / VirtualTimeEventLoop.BUSY_ROUND.toNanos();
        assertTrue(ticks.get() >= rounds && ticks.get() <= rounds + 1, "one task per busy round: " + ticks.get());
        assertEquals(1, loop.readyCount(), "the endless task is still there for the next call");
    }

    @Test
    void run_for_on_an_idle_loop_jumps_from_timer_to_timer_and_stops_at_the_end() {
        List<Long> fired = new ArrayList<>();
        loop.schedule(() -> fired.add(loop.nanoTime()), Duration.ofSeconds(2));
        loop.schedule(() -> fired.add(loop.nanoTime()), Duration.ofSeconds(7));
        loop.runFor(Duration.ofSeconds(5));
        assertEquals(List.of(Duration.ofSeconds(2).toNanos()), fired);
        assertEquals(Duration.ofSeconds(5), loop.elapsed());
        loop.runFor(Duration.ofSeconds(2));
        assertEquals(List.of(Duration.ofSeconds(2).toNanos(), Duration.ofSeconds(7).toNanos()), fired);
    }

    @Test
    void a_driving_call_on_a_loop_that_never_idles_stops_at_the_step_limit_naming_the_busy_tasks() {
        loop.setStepLimit(10_000);
        AtomicLong ticks = new AtomicLong();
        loop.execute(forever(ticks, "the endless streamer"));
        LoopBusyException e = assertThrows(LoopBusyException.class, () -> loop.advance(Duration.ofSeconds(1)));
        assertEquals(10_000, ticks.get(), "exactly the step limit ran");
        assertTrue(e.getMessage().contains("the endless streamer"), e.getMessage());
        assertTrue(e.getMessage().contains("10000"), e.getMessage());
        assertTrue(e.getMessage().contains("runFor"), e.getMessage());
        assertEquals(10_000, e.stepLimit());
        assertThrows(LoopBusyException.class, loop::runUntilIdle, "every driving call counts afresh");
        assertThrows(LoopBusyException.class, loop::runReady);
        assertThrows(IllegalArgumentException.class, () -> loop.setStepLimit(0));
    }
}
