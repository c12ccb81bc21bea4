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
 * The loop's task queue: a task posted on the loop costs no queue node (an in-process transaction posts all its
 * tasks there), and tasks run in posting order across threads: one another thread posted before a task posted on
 * the loop runs first.
 */
class NioEventLoopTaskQueueTest {
    private static final int TASKS = 10_000;

    @Test
    void tasks_posted_on_the_loop_allocate_no_queue_node() throws Exception {
        NioEventLoop loop = new NioEventLoop("task-queue-alloc");
        try {
            com.sun.management.ThreadMXBean threads =
                    (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            Runnable nothing = () -> { };
            AtomicLong allocated = new AtomicLong(-1);
            CountDownLatch done = new CountDownLatch(1);
            loop.execute(() -> {
                for (int i = 0; i < TASKS; i++) {
                    loop.execute(nothing); // the first round grows the queue to its working size
                }
                loop.execute(() -> {
                    long before = threads.getCurrentThreadAllocatedBytes();
                    for (int i = 0; i < TASKS; i++) {
                        loop.execute(nothing);
                    }
                    allocated.set(threads.getCurrentThreadAllocatedBytes() - before);
                    done.countDown();
                });
            });
            assertTrue(done.await(10, TimeUnit.SECONDS));
            // A linked queue allocates a node per task (24 bytes and more); the ring allocates nothing once grown.
            assertTrue(allocated.get() < TASKS, "bytes allocated to post " + TASKS + " tasks on the loop: "
                    + allocated.get());
        } finally {
            loop.shutdown(Duration.ofSeconds(5));
        }
    }

    @Test
    void a_task_another_thread_posted_first_runs_before_one_the_loop_posts_later() throws Exception {
        NioEventLoop loop = new NioEventLoop("task-queue-order");
        try {
            List<String> ran = new ArrayList<>();
            CountDownLatch holding = new CountDownLatch(1);
            CountDownLatch remotePosted = new CountDownLatch(1);
            CountDownLatch done = new CountDownLatch(1);
            loop.execute(() -> {
                holding.countDown();
                try {
                    assertTrue(remotePosted.await(5, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                // The other thread's task was posted before this one (the latch orders them).
                loop.execute(() -> ran.add("posted on the loop"));
                loop.execute(done::countDown);
            });
            assertTrue(holding.await(5, TimeUnit.SECONDS));
            loop.execute(() -> ran.add("posted by another thread"));
            remotePosted.countDown();
            assertTrue(done.await(5, TimeUnit.SECONDS));
            assertEquals(List.of("posted by another thread", "posted on the loop"), ran);
        } finally {
            loop.shutdown(Duration.ofSeconds(5));
        }
    }
}
