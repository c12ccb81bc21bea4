package dev.vconn.netty.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.SingleThreadEventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The view's own task queue (docs/netty-adapter.md, "Tasks"): tasks posted on the loop wait in a loop-local ring behind
 * one drain task in Netty's queue, not one Netty task each; posting order is kept across threads; a task that throws
 * does not stop the ones after it.
 */
class NettyEventLoopTaskQueueTest {
    private static final int TASKS = 1_000;

    private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final IoEventLoop netty = (IoEventLoop) group.next();
    private final NettyEventLoop loop = new NettyEventLoop(netty, false);

    @AfterEach
    void stop() throws Exception {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }

    @Test
    void tasks_posted_on_the_loop_cost_one_netty_task_not_one_each() throws Exception {
        AtomicInteger ran = new AtomicInteger();
        int[] nettyPending = new int[1];
        CountDownLatch done = new CountDownLatch(1);
        loop.execute(() -> {
            for (int i = 0; i < TASKS; i++) {
                loop.execute(ran::incrementAndGet);
            }
            nettyPending[0] = ((SingleThreadEventExecutor) netty).pendingTasks();
            loop.execute(done::countDown);
        });
        assertTrue(done.await(10, TimeUnit.SECONDS));
        assertEquals(TASKS, ran.get(), "every task ran");
        assertTrue(nettyPending[0] <= 1, "tasks in Netty's own queue after " + TASKS + " posts on the loop: "
                + nettyPending[0]);
    }

    @Test
    void a_task_another_thread_posted_first_runs_before_one_the_loop_posts_later() throws Exception {
        List<String> ran = new ArrayList<>();
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch remotePosted = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        loop.execute(() -> {
            loop.execute(() -> ran.add("posted on the loop first"));
            holding.countDown();
            try {
                assertTrue(remotePosted.await(5, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // The other thread's task was posted before this one (the latch orders them).
            loop.execute(() -> ran.add("posted on the loop later"));
            loop.execute(done::countDown);
        });
        assertTrue(holding.await(5, TimeUnit.SECONDS));
        loop.execute(() -> ran.add("posted by another thread"));
        remotePosted.countDown();
        assertTrue(done.await(5, TimeUnit.SECONDS));
        assertEquals(List.of("posted on the loop first", "posted by another thread", "posted on the loop later"), ran);
    }

    @Test
    void a_task_that_throws_does_not_stop_the_ones_after_it() throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        loop.execute(() -> {
            loop.execute(() -> {
                throw new IllegalStateException("planted: a task that throws");
            });
            loop.execute(done::countDown);
        });
        assertTrue(done.await(5, TimeUnit.SECONDS));
    }

    @Test
    void tasks_from_many_threads_all_run_each_thread_in_its_order() throws Exception {
        int threads = 4;
        int perThread = 2_000;
        List<List<Integer>> seen = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            seen.add(new ArrayList<>());
        }
        CountDownLatch done = new CountDownLatch(threads * perThread);
        List<Thread> posters = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            List<Integer> mine = seen.get(t);
            Thread poster = new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    int n = i;
                    loop.execute(() -> {
                        mine.add(n); // loop thread only
                        loop.execute(done::countDown); // and one more task posted on the loop per task
                    });
                }
            });
            posters.add(poster);
            poster.start();
        }
        for (Thread poster : posters) {
            poster.join(10_000);
        }
        assertTrue(done.await(10, TimeUnit.SECONDS), "tasks left: " + done.getCount());
        for (List<Integer> mine : seen) {
            assertEquals(perThread, mine.size());
            for (int i = 0; i < perThread; i++) {
                assertEquals(i, mine.get(i));
            }
        }
    }
}
