package dev.vconn.nio.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.ScheduledAction;
import dev.vconn.domain.spi.LoopTimer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Cancelled timers leave the loop's timer queue (docs/nio-adapter.md, "Timers"): a live timer at the head must not
 * keep every timer cancelled behind it until their deadlines.
 */
class NioEventLoopTimerTest {
    private static final int CANCELLED = 10_000;

    @Test
    void timers_cancelled_behind_a_live_head_leave_the_queue_and_never_fire() throws Exception {
        NioEventLoop loop = new NioEventLoop("timer-loop");
        try {
            CountDownLatch headFired = new CountDownLatch(1);
            AtomicInteger cancelledFired = new AtomicInteger();
            // What a proxy on a busy loop does: a long-lived timer armed first, then one short-lived timer per
            // transaction, scheduled later (so due later) and cancelled when the transaction ends.
            onLoop(loop, () -> {
                loop.schedule(headFired::countDown, Duration.ofMillis(300));
                for (int i = 0; i < CANCELLED; i++) {
                    ScheduledAction timer = loop.schedule(cancelledFired::incrementAndGet, Duration.ofHours(1));
                    assertTrue(timer.cancel());
                }
                return null;
            });
            int queuedNextRound = onLoop(loop, loop::timerQueueSize);
            assertTrue(queuedNextRound <= NioEventLoop.MIN_CANCELLED_TO_DROP,
                queuedNextRound + " timers queued a round after " + CANCELLED + " cancels behind one live timer");
            assertTrue(headFired.await(10, TimeUnit.SECONDS), "the live timer still fires");
            assertEquals(0, cancelledFired.get(), "no cancelled timer fired");
        } finally {
            loop.shutdown(Duration.ofSeconds(1));
        }
    }

    @Test
    void live_timers_survive_the_drop_of_cancelled_ones_and_fire_in_deadline_order() throws Exception {
        NioEventLoop loop = new NioEventLoop("timer-order-loop");
        try {
            List<Long> fired = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Long> liveDeadlines = new ArrayList<>();
            CountDownLatch all = new CountDownLatch(10);
            onLoop(loop, () -> {
                for (int i = 0; i < 1_000; i++) {
                    long[] deadline = new long[1];
                    LoopTimer timer = (LoopTimer) loop.schedule(() -> {
                        fired.add(deadline[0]);
                        all.countDown();
                    }, Duration.ofMillis(50 + (1_000 - i) / 10));
                    deadline[0] = timer.deadline();
                    if (i % 100 == 0) {
                        liveDeadlines.add(timer.deadline());
                    } else {
                        timer.cancel();
                    }
                }
                return null;
            });
            assertTrue(all.await(10, TimeUnit.SECONDS), "the ten live timers fired: " + fired);
            liveDeadlines.sort(null);
            assertEquals(liveDeadlines, fired, "the live timers, each once, in deadline order");
            assertEquals(0, onLoop(loop, loop::timerQueueSize), "nothing left queued");
        } finally {
            loop.shutdown(Duration.ofSeconds(1));
        }
    }

    private static <T> T onLoop(NioEventLoop loop, java.util.concurrent.Callable<T> work) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                result.complete(work.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return result.get(10, TimeUnit.SECONDS);
    }
}
