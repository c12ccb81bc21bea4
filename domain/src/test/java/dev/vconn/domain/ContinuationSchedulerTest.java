package dev.vconn.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.loop.VirtualTimeEventLoop;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Scheduling events to continuations (Traffic Server's TSContSchedule and its lock retry). */
class ContinuationSchedulerTest {
    private final VirtualTimeEventLoop loop = new VirtualTimeEventLoop();
    private final List<String> seen = new ArrayList<>();
    private final Continuation c = new Continuation((e, d) -> {
        seen.add(e + " " + d + " at " + loop.nanoTime() + (loopHolds() ? "" : " WITHOUT LOCK"));
    });

    private boolean loopHolds() {
        return c.lock().isHeldByCurrentThread() && loop.inEventLoop();
    }

    @Test
    void dispatch_delivers_on_the_loop_under_the_lock_never_inside_the_call() {
        ContinuationScheduler.dispatch(loop, c, Event.IMMEDIATE, "x");
        assertEquals(List.of(), seen);
        loop.runReady();
        assertEquals(List.of("IMMEDIATE(1) x at 0"), seen);
    }

    @Test
    void schedule_waits_for_the_delay_on_the_loops_clock() {
        ContinuationScheduler.schedule(loop, c, Event.TIMEOUT, "t", Duration.ofMillis(10));
        loop.advance(Duration.ofMillis(10).minusNanos(1));
        assertEquals(List.of(), seen);
        loop.advance(Duration.ofNanos(1));
        assertEquals(List.of("TIMEOUT(2) t at 10000000"), seen);
    }

    @Test
    void a_cancelled_delivery_never_runs() {
        ScheduledAction a = ContinuationScheduler.schedule(loop, c, Event.TIMEOUT, "t", Duration.ofMillis(10));
        assertTrue(a.cancel());
        assertTrue(a.isCancelled());
        assertFalse(a.cancel(), "only the first cancel cancels");
        loop.runUntilIdle();
        assertEquals(List.of(), seen);
        ScheduledAction done = ContinuationScheduler.dispatch(loop, c, Event.IMMEDIATE, "y");
        loop.runReady();
        assertFalse(done.cancel(), "a delivered event cannot be cancelled");
    }

    @Test
    void a_busy_lock_is_retried_not_waited_for() throws Exception {
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = new Thread(() -> {
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
        holder.start();
        assertTrue(held.await(10, TimeUnit.SECONDS));
        ContinuationScheduler.dispatch(loop, c, Event.IMMEDIATE, "z");
        loop.advance(Duration.ofMillis(5));
        assertEquals(List.of(), seen, "not delivered while another thread holds the lock");
        release.countDown();
        holder.join(10_000);
        loop.advance(Duration.ofMillis(1));
        assertEquals(1, seen.size());
        assertTrue(seen.get(0).startsWith("IMMEDIATE(1) z at "), seen.toString());
        assertFalse(seen.get(0).contains("WITHOUT LOCK"));
    }
}
