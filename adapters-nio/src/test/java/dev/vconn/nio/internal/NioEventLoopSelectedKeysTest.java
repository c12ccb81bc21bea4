package dev.vconn.nio.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * How the loop hands ready keys to their handlers (docs/nio-adapter.md, "Rounds"): straight from the selector, with
 * nothing allocated per ready key, and a handler may still close a listener with {@link NioEventLoop#closeNow}.
 */
class NioEventLoopSelectedKeysTest {
    private static final int WARM_UP = 20_000;
    private static final int MEASURED = 20_000;

    @Test
    void a_ready_key_is_handled_without_allocating_on_the_loop() throws Exception {
        NioEventLoop loop = new NioEventLoop("selected-keys-loop");
        Pipe pipe = Pipe.open();
        try {
            pipe.source().configureBlocking(false);
            ByteBuffer into = ByteBuffer.allocateDirect(64);
            AtomicLong handled = new AtomicLong();
            loop.register(pipe.source(), SelectionKey.OP_READ, ops -> {
                try {
                    into.clear();
                    pipe.source().read(into);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                handled.incrementAndGet();
            });
            CompletableFuture<Long> loopThread = new CompletableFuture<>();
            loop.execute(() -> loopThread.complete(Thread.currentThread().getId()));
            long loopThreadId = loopThread.get(5, TimeUnit.SECONDS);
            com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            ByteBuffer one = ByteBuffer.allocateDirect(1);

            readyEvents(pipe, one, handled, WARM_UP); // the handler and the select path get compiled
            long before = threads.getThreadAllocatedBytes(loopThreadId);
            readyEvents(pipe, one, handled, MEASURED);
            long allocated = threads.getThreadAllocatedBytes(loopThreadId) - before;

            // A selected-key set costs a hash-set entry (32 bytes) per ready key.
            assertTrue(allocated < MEASURED * 8L, allocated + " bytes allocated on the loop for " + MEASURED
                + " ready events: no allocation per ready key expected");
        } finally {
            loop.shutdown(Duration.ofSeconds(1));
            pipe.sink().close();
            pipe.source().close();
        }
    }

    /** Makes the pipe readable {@code n} times, one byte each, and waits until the handler read each. */
    private static void readyEvents(Pipe pipe, ByteBuffer one, AtomicLong handled, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            long expected = handled.get() + 1;
            one.clear();
            pipe.sink().write(one);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (handled.get() < expected) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the handler did not run within 10 s (ready event " + i + ")");
                }
                Thread.onSpinWait();
            }
        }
    }

    @Test
    void a_ready_handler_can_close_a_listening_socket_at_once() throws Exception {
        NioEventLoop loop = new NioEventLoop("close-in-handler-loop");
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            server.configureBlocking(false);
            InetSocketAddress address = (InetSocketAddress) server.getLocalAddress();
            AtomicReference<SelectionKey> key = new AtomicReference<>();
            CompletableFuture<Throwable> closed = new CompletableFuture<>();
            SelectionKey registered = loop.register(server, SelectionKey.OP_ACCEPT, ops -> {
                try {
                    SocketChannel accepted = server.accept();
                    if (accepted != null) {
                        accepted.close();
                    }
                    loop.closeNow(key.get(), server);
                    if (key.get().isValid()) {
                        // A handler runs VConn passes, whose callbacks may close a listener: the loop must not hand
                        // the listener's key to its handler again, later in the same select.
                        throw new IllegalStateException("the key is still valid when closeNow returned in a handler");
                    }
                    loop.execute(() -> closed.complete(null)); // runs after the close the handler asked for
                } catch (IOException | RuntimeException e) {
                    closed.complete(e);
                }
            });
            key.set(registered);
            try (SocketChannel first = SocketChannel.open(address)) {
                assertEquals(null, closed.get(5, TimeUnit.SECONDS), "closeNow inside a handler must not fail");
            }
            assertFalse(server.isOpen());
            // The descriptor is released: the port takes a new listener.
            try (ServerSocketChannel again = ServerSocketChannel.open()) {
                again.bind(address);
                assertTrue(again.isOpen());
            }
        } finally {
            loop.shutdown(Duration.ofSeconds(1));
        }
    }

    @Test
    void close_now_from_another_thread_while_the_loop_waits_in_select_has_closed_the_socket_when_it_returns()
        throws Exception {
        NioEventLoop loop = new NioEventLoop("close-from-outside-loop");
        try {
            for (int i = 0; i < 50; i++) {
                ServerSocketChannel server = ServerSocketChannel.open();
                server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                server.configureBlocking(false);
                InetSocketAddress address = (InetSocketAddress) server.getLocalAddress();
                SelectionKey key = loop.register(server, SelectionKey.OP_ACCEPT, ops -> { });
                CompletableFuture<Void> round = new CompletableFuture<>();
                loop.execute(() -> round.complete(null));
                round.get(5, TimeUnit.SECONDS); // the loop ran a round and goes back to waiting in select
                loop.closeNow(key, server);
                int attempt = i;
                assertFalse(server.isOpen(), "closed when closeNow returns (attempt " + attempt + ")");
                assertThrows(IOException.class, () -> SocketChannel.open(address).close(),
                    "the port accepts nothing once closeNow returned (attempt " + attempt + ")");
            }
        } finally {
            loop.shutdown(Duration.ofSeconds(1));
        }
    }
}
