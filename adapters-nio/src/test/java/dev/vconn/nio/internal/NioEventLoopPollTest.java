package dev.vconn.nio.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The loop's polling rule (docs/nio-adapter.md, "Rounds"): with tasks queued it polls the selector at most once per
 * {@link NioEventLoop#MAX_POLL_DEFERRAL_NANOS}, and a flood of tasks still lets socket I/O through.
 */
class NioEventLoopPollTest {
    private static final int CHAIN = 20_000;

    @Test
    void queued_tasks_run_without_a_poll_per_round() throws Exception {
        NioEventLoop loop = new NioEventLoop("poll-loop");
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            server.configureBlocking(false);
            loop.register(server, SelectionKey.OP_ACCEPT, ops -> { }); // a registered key that is never ready

            AtomicLong firstSelects = new AtomicLong();
            AtomicLong firstNanos = new AtomicLong();
            AtomicLong lastSelects = new AtomicLong();
            AtomicLong lastNanos = new AtomicLong();
            AtomicLong firstRounds = new AtomicLong();
            AtomicLong lastRounds = new AtomicLong();
            CountDownLatch done = new CountDownLatch(1);
            // Each task posts the next from the loop, so the queue is never empty until the chain ends.
            Runnable[] step = new Runnable[1];
            int[] remaining = {CHAIN};
            step[0] = () -> {
                if (remaining[0] == CHAIN) {
                    firstSelects.set(loop.selects());
                    firstRounds.set(loop.rounds());
                    firstNanos.set(System.nanoTime());
                }
                if (--remaining[0] > 0) {
                    loop.execute(step[0]);
                } else {
                    lastSelects.set(loop.selects());
                    lastRounds.set(loop.rounds());
                    lastNanos.set(System.nanoTime());
                    done.countDown();
                }
            };
            loop.execute(step[0]);
            assertTrue(done.await(30, TimeUnit.SECONDS), "the chain of tasks ended");

            long rounds = lastRounds.get() - firstRounds.get();
            long selects = lastSelects.get() - firstSelects.get();
            long elapsed = lastNanos.get() - firstNanos.get();
            assertEquals(CHAIN - 1, rounds, "one task per round");
            long bound = elapsed / NioEventLoop.MAX_POLL_DEFERRAL_NANOS + 1;
            assertTrue(selects <= bound, selects + " polls in " + rounds + " rounds over " + elapsed
                + " ns: at most one per " + NioEventLoop.MAX_POLL_DEFERRAL_NANOS + " ns (" + bound + ") expected");
        } finally {
            loop.shutdown(Duration.ofSeconds(1));
        }
    }

    @Test
    void a_loop_with_no_channel_registered_never_polls_while_tasks_keep_coming() throws Exception {
        NioEventLoop loop = new NioEventLoop("no-channel-loop");
        try {
            AtomicLong firstSelects = new AtomicLong();
            AtomicLong lastSelects = new AtomicLong();
            AtomicLong firstNanos = new AtomicLong();
            AtomicLong lastNanos = new AtomicLong();
            CountDownLatch done = new CountDownLatch(1);
            Runnable[] step = new Runnable[1];
            int[] remaining = {CHAIN};
            step[0] = () -> {
                if (remaining[0] == CHAIN) {
                    firstSelects.set(loop.selects());
                    firstNanos.set(System.nanoTime());
                }
                if (--remaining[0] > 0) {
                    loop.execute(step[0]);
                } else {
                    lastSelects.set(loop.selects());
                    lastNanos.set(System.nanoTime());
                    done.countDown();
                }
            };
            loop.execute(step[0]);
            assertTrue(done.await(30, TimeUnit.SECONDS), "the chain of tasks ended");
            // Nothing to be fair to: an in-process transaction on such a loop makes no system call.
            assertEquals(0, lastSelects.get() - firstSelects.get(), "polls during a chain of " + CHAIN
                + " tasks over " + (lastNanos.get() - firstNanos.get()) + " ns on a loop with no channel");
        } finally {
            loop.shutdown(Duration.ofSeconds(1));
        }
    }

    @Test
    void a_flood_of_tasks_does_not_hold_back_socket_io() throws Exception {
        NioEventLoop loop = new NioEventLoop("flood-loop");
        AtomicBoolean flooding = new AtomicBoolean(true);
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            try (SocketChannel client = SocketChannel.open(server.getLocalAddress());
                SocketChannel accepted = server.accept()) {
                accepted.configureBlocking(false);
                CountDownLatch readable = new CountDownLatch(1);
                loop.register(accepted, SelectionKey.OP_READ, ops -> readable.countDown());

                // A task that always posts itself again: the loop never runs out of tasks.
                CountDownLatch floodUnderWay = new CountDownLatch(1_000);
                Runnable[] flood = new Runnable[1];
                flood[0] = () -> {
                    floodUnderWay.countDown();
                    if (flooding.get()) {
                        loop.execute(flood[0]);
                    }
                };
                loop.execute(flood[0]);
                // The byte arrives only once the flood has run for a while, so the socket is ready during it.
                assertTrue(floodUnderWay.await(10, TimeUnit.SECONDS), "the flood started");
                client.write(ByteBuffer.wrap(new byte[] {1}));
                assertTrue(readable.await(10, TimeUnit.SECONDS), "a ready socket was reported despite the flood");
            }
        } finally {
            flooding.set(false);
            loop.shutdown(Duration.ofSeconds(1));
        }
    }
}
