package dev.vconn.nio.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The loop's task queue (docs/nio-adapter.md, "Rounds"): a task posted on the loop costs no allocation, and tasks run
 * in the order they were posted, whichever thread posted them.
 */
class NioEventLoopTaskQueueTest {
    private static final int POSTS = 10_000;
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Test
    void posting_on_the_loop_allocates_nothing_in_steady_state() throws Exception {
        NioEventLoop loop = new NioEventLoop("alloc-loop");
        try {
            Runnable nothing = () -> { };
            AtomicLong allocated = new AtomicLong(-1);
            CountDownLatch done = new CountDownLatch(1);
            loop.execute(() -> {
                for (int i = 0; i < POSTS; i++) {
                    loop.execute(nothing); // the queue grows to its steady-state size once
                }
                loop.execute(() -> {
                    THREADS.getCurrentThreadAllocatedBytes(); // its first call may allocate
                    long before = THREADS.getCurrentThreadAllocatedBytes();
                    for (int i = 0; i < POSTS; i++) {
                        loop.execute(nothing);
                    }
                    allocated.set(THREADS.getCurrentThreadAllocatedBytes() - before);
                    done.countDown();
                });
            });
            assertTrue(done.await(10, TimeUnit.SECONDS), "the loop ran the measuring task");
            // A queue node per post would be 24 bytes or more each; under one byte per post leaves room for the JVM's
            // own one-off allocations only.
            assertTrue(allocated.get() < POSTS,
                    allocated.get() + " bytes allocated for " + POSTS + " posts on the loop, expected none");
        } finally {
            loop.shutdown(Duration.ofSeconds(1));
        }
    }

    @Test
    void a_task_posted_from_another_thread_runs_before_one_the_loop_posts_after_it() throws Exception {
        NioEventLoop loop = new NioEventLoop("order-loop");
        try {
            List<String> ran = new ArrayList<>(); // loop thread only
            CountDownLatch remotePosted = new CountDownLatch(1);
            CountDownLatch done = new CountDownLatch(1);
            loop.execute(() -> {
                loop.execute(() -> ran.add("local 1"));
                Thread poster = new Thread(() -> {
                    loop.execute(() -> ran.add("remote"));
                    remotePosted.countDown();
                });
                poster.start();
                try {
                    assertTrue(remotePosted.await(10, TimeUnit.SECONDS), "the other thread posted");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                loop.execute(() -> ran.add("local 2")); // posted after the other thread's task
                loop.execute(() -> {
                    loop.execute(() -> ran.add("next round"));
                    loop.execute(done::countDown);
                });
            });
            assertTrue(done.await(10, TimeUnit.SECONDS), "every task ran");
            CountDownLatch read = new CountDownLatch(1);
            List<String> seen = new ArrayList<>();
            loop.execute(() -> {
                seen.addAll(ran);
                read.countDown();
            });
            assertTrue(read.await(10, TimeUnit.SECONDS));
            assertEquals(List.of("local 1", "remote", "local 2", "next round"), seen);
        } finally {
            loop.shutdown(Duration.ofSeconds(1));
        }
    }
}
