package dev.vconn.nio.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Regression: {@code closeNow}'s {@code selectNow} consumed a wake-up another thread had armed, so a task posted
 * afterwards was never run (found by the contract kit under load).
 */
class NioEventLoopWakeupTest {
    @Test
    void a_task_posted_after_close_now_still_runs() throws Exception {
        NioEventLoop loop = new NioEventLoop("repro-loop");
        try {
            ServerSocketChannel server = ServerSocketChannel.open();
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            server.configureBlocking(false);
            SelectionKey key = loop.register(server, SelectionKey.OP_ACCEPT, ops -> { });

            CountDownLatch inTimer = new CountDownLatch(1);
            CountDownLatch releaseTimer = new CountDownLatch(1);
            // A timer task runs after the round's wakeupPending.set(false) and before runTasks takes its snapshot.
            loop.schedule(() -> {
                inTimer.countDown();
                try {
                    releaseTimer.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, Duration.ZERO);
            assertTrue(inTimer.await(5, TimeUnit.SECONDS));
            loop.execute(() -> { }); // sets wakeupPending and the selector's wakeup token
            Thread closer = new Thread(() -> loop.closeNow(key, server)); // queues a task that calls selectNow
            closer.start();
            // The closer has queued its task once it waits for it to finish.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (closer.getState() != Thread.State.TIMED_WAITING && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertTrue(closer.getState() == Thread.State.TIMED_WAITING, "closer queued its task");
            releaseTimer.countDown(); // runTasks: [noop, close] -> selectNow consumes the token
            closer.join(10_000);

            CountDownLatch ran = new CountDownLatch(1);
            loop.execute(ran::countDown);
            assertTrue(ran.await(3, TimeUnit.SECONDS), "a task posted from another thread never ran: lost wakeup");
        } finally {
            loop.shutdown(Duration.ofSeconds(1));
        }
    }
}
