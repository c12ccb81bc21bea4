package dev.vconn.inmemory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.loop.VirtualTimeEventLoop;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NoConnectionPendingException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link InMemorySocketChannel} as a {@link SocketChannel}: modes, EOF, shutdown, reset, capacity, addresses. */
class InMemorySocketChannelTest {
    private final VirtualTimeEventLoop loop = new VirtualTimeEventLoop();
    private final InMemoryNetwork network = new InMemoryNetwork(loop);
    private final List<AutoCloseable> toClose = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeEverything() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        assertEquals(0, network.openChannels(), "every channel closed");
    }

    private InMemoryNetwork.ChannelPair pair() {
        return closing(network.openPair());
    }

    private <T extends AutoCloseable> T closing(T c) {
        toClose.add(c);
        return c;
    }

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    private static byte[] readExactly(SocketChannel ch, int n) throws IOException {
        ByteBuffer bb = ByteBuffer.allocate(n);
        while (bb.hasRemaining()) {
            if (ch.read(bb) < 0) {
                throw new IOException("EOF after " + bb.position());
            }
        }
        return bb.array();
    }

    /** Waits (bounded, real time) until {@code t} is parked in a blocking call. */
    private static void awaitBlocked(Thread t) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING) {
            assertTrue(System.nanoTime() < deadline, "thread never blocked: " + t.getState());
            Thread.onSpinWait();
        }
    }

    private static <T> CompletableFuture<T> inThread(String name, java.util.concurrent.Callable<T> body,
            AtomicReference<Thread> thread) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(body.call());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        }, name);
        t.setDaemon(true);
        thread.set(t);
        t.start();
        return f;
    }

    @Test
    void a_pair_is_connected_blocking_and_has_in_memory_loopback_addresses() throws IOException {
        InMemoryNetwork.ChannelPair p = pair();
        assertTrue(p.local().isConnected());
        assertTrue(p.local().isBlocking());
        assertTrue(p.peer().isBlocking());
        assertFalse(p.local().isConnectionPending());
        InetSocketAddress a = (InetSocketAddress) p.local().getLocalAddress();
        InetSocketAddress b = (InetSocketAddress) p.peer().getLocalAddress();
        assertEquals("127.0.0.1", a.getAddress().getHostAddress());
        assertTrue(a.getPort() >= InMemoryNetwork.FIRST_PORT);
        assertNotEquals(a.getPort(), b.getPort());
        assertEquals(a, p.peer().getRemoteAddress());
        assertEquals(b, p.local().getRemoteAddress());
        assertSame(network, p.local().network());
        assertSame(network.provider(), p.local().provider());
        assertEquals(2, network.openChannels());
    }

    @Test
    void blocking_writes_and_reads_move_bytes_in_order_both_ways() throws IOException {
        InMemoryNetwork.ChannelPair p = pair();
        byte[] up = bytes(10_000, 1);
        byte[] down = bytes(7_000, 2);
        assertEquals(up.length, p.local().write(ByteBuffer.wrap(up)));
        assertEquals(down.length, p.peer().write(ByteBuffer.wrap(down)));
        assertArrayEquals(up, readExactly(p.peer(), up.length));
        assertArrayEquals(down, readExactly(p.local(), down.length));
    }

    @Test
    void scatter_reads_and_gather_writes_fill_and_drain_buffers_in_order() throws IOException {
        InMemoryNetwork.ChannelPair p = pair();
        byte[] data = bytes(300, 3);
        ByteBuffer[] srcs = {ByteBuffer.wrap(data, 0, 100), ByteBuffer.wrap(data, 100, 50),
                ByteBuffer.wrap(data, 150, 150)};
        assertEquals(300, p.local().write(srcs, 0, 3));
        ByteBuffer[] dsts = {ByteBuffer.allocate(10), ByteBuffer.allocate(200), ByteBuffer.allocate(90)};
        assertEquals(300, p.peer().read(dsts, 0, 3));
        byte[] got = new byte[300];
        System.arraycopy(dsts[0].array(), 0, got, 0, 10);
        System.arraycopy(dsts[1].array(), 0, got, 10, 200);
        System.arraycopy(dsts[2].array(), 0, got, 210, 90);
        assertArrayEquals(data, got);
    }

    @Test
    void a_non_blocking_read_with_nothing_arrived_returns_zero() throws IOException {
        InMemoryNetwork.ChannelPair p = pair();
        p.peer().configureBlocking(false);
        assertEquals(0, p.peer().read(ByteBuffer.allocate(10)));
        p.local().write(ByteBuffer.wrap(bytes(4, 0)));
        assertEquals(4, p.peer().read(ByteBuffer.allocate(10)));
        assertEquals(0, p.peer().read(ByteBuffer.allocate(10)));
    }

    @Test
    void a_blocking_read_waits_for_data() throws Exception {
        InMemoryNetwork.ChannelPair p = pair();
        AtomicReference<Thread> reader = new AtomicReference<>();
        CompletableFuture<Integer> read = inThread("blocked-reader", () -> p.peer().read(ByteBuffer.allocate(100)),
                reader);
        awaitBlocked(reader.get());
        assertFalse(read.isDone(), "nothing was written yet");
        p.local().write(ByteBuffer.wrap(bytes(42, 5)));
        assertEquals(42, read.get(10, TimeUnit.SECONDS));
    }

    @Test
    void a_blocking_read_waits_for_end_of_stream() throws Exception {
        InMemoryNetwork.ChannelPair p = pair();
        AtomicReference<Thread> reader = new AtomicReference<>();
        CompletableFuture<Integer> read = inThread("blocked-reader", () -> p.peer().read(ByteBuffer.allocate(100)),
                reader);
        awaitBlocked(reader.get());
        p.local().shutdownOutput();
        assertEquals(-1, read.get(10, TimeUnit.SECONDS));
    }

    @Test
    void closing_a_channel_wakes_its_blocked_reader_with_an_asynchronous_close() throws Exception {
        InMemoryNetwork.ChannelPair p = pair();
        AtomicReference<Thread> reader = new AtomicReference<>();
        CompletableFuture<Integer> read = inThread("blocked-reader", () -> p.peer().read(ByteBuffer.allocate(100)),
                reader);
        awaitBlocked(reader.get());
        p.peer().close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> read.get(10, TimeUnit.SECONDS));
        assertInstanceOf(AsynchronousCloseException.class, e.getCause());
    }

    @Test
    void interrupting_a_blocked_reader_closes_the_channel() throws Exception {
        InMemoryNetwork.ChannelPair p = pair();
        AtomicReference<Thread> reader = new AtomicReference<>();
        CompletableFuture<Integer> read = inThread("blocked-reader", () -> p.peer().read(ByteBuffer.allocate(100)),
                reader);
        awaitBlocked(reader.get());
        reader.get().interrupt();
        ExecutionException e = assertThrows(ExecutionException.class, () -> read.get(10, TimeUnit.SECONDS));
        assertInstanceOf(ClosedByInterruptException.class, e.getCause());
        assertFalse(p.peer().isOpen());
    }

    @Test
    void a_writer_that_outruns_its_reader_is_held_at_so_sndbuf() throws IOException {
        InMemoryNetwork.ChannelPair p = pair();
        assertEquals(InMemorySocketChannel.DEFAULT_BUFFER_SIZE, p.local().getOption(StandardSocketOptions.SO_SNDBUF));
        p.local().configureBlocking(false);
        ByteBuffer big = ByteBuffer.wrap(bytes(100_000, 7));
        assertEquals(64 * 1024, p.local().write(big));
        assertEquals(0, p.local().write(big), "no room: a non-blocking write takes nothing");
        assertArrayEquals(java.util.Arrays.copyOf(bytes(100_000, 7), 1000), readExactly(p.peer(), 1000));
        assertEquals(1000, p.local().write(big), "exactly the room the reader freed");
        assertEquals(0, p.local().write(big));
    }

    @Test
    void so_sndbuf_sets_the_in_flight_bound_of_the_channels_output() throws IOException {
        InMemoryNetwork.ChannelPair p = pair();
        p.local().setOption(StandardSocketOptions.SO_SNDBUF, 1000);
        p.local().configureBlocking(false);
        assertEquals(1000, p.local().write(ByteBuffer.wrap(bytes(5000, 0))));
        p.peer().configureBlocking(false);
        assertEquals(0, p.peer().read(ByteBuffer.allocate(0)), "a read into no room reads nothing");
        p.peer().setOption(StandardSocketOptions.SO_SNDBUF, 10);
        assertEquals(10, p.peer().write(ByteBuffer.wrap(bytes(5000, 0))), "each direction has its own bound");
    }

    @Test
    void a_blocking_write_waits_for_room_and_then_writes_everything() throws Exception {
        InMemoryNetwork.ChannelPair p = pair();
        p.local().setOption(StandardSocketOptions.SO_SNDBUF, 100);
        byte[] data = bytes(1000, 9);
        AtomicReference<Thread> writer = new AtomicReference<>();
        CompletableFuture<Integer> write = inThread("blocked-writer", () -> p.local().write(ByteBuffer.wrap(data)),
                writer);
        awaitBlocked(writer.get());
        assertFalse(write.isDone(), "only 100 bytes fit");
        assertArrayEquals(data, readExactly(p.peer(), 1000));
        assertEquals(1000, write.get(10, TimeUnit.SECONDS));
    }

    @Test
    void shutdown_output_gives_the_peer_eof_after_the_bytes_written_and_refuses_further_writes()
            throws IOException {
        InMemoryNetwork.ChannelPair p = pair();
        p.local().write(ByteBuffer.wrap(bytes(10, 1)));
        p.local().shutdownOutput();
        assertThrows(ClosedChannelException.class, () -> p.local().write(ByteBuffer.wrap(bytes(1, 1))));
        assertArrayEquals(bytes(10, 1), readExactly(p.peer(), 10));
        assertEquals(-1, p.peer().read(ByteBuffer.allocate(10)));
        assertEquals(-1, p.peer().read(ByteBuffer.allocate(10)), "EOF stays");
        p.peer().write(ByteBuffer.wrap(bytes(5, 2)));
        assertArrayEquals(bytes(5, 2), readExactly(p.local(), 5), "the other direction still works");
    }

    @Test
    void shutdown_input_reads_eof_and_the_peers_writes_are_still_taken_until_the_direction_is_full()
            throws IOException {
        InMemoryNetwork.ChannelPair p = pair();
        p.local().write(ByteBuffer.wrap(bytes(10, 1)));
        p.peer().shutdownInput();
        assertEquals(-1, p.peer().read(ByteBuffer.allocate(10)));
        p.local().configureBlocking(false);
        p.local().setOption(StandardSocketOptions.SO_SNDBUF, 1000);
        assertEquals(990, p.local().write(ByteBuffer.wrap(bytes(2000, 1))), "Linux sends nothing on SHUT_RD");
        assertEquals(0, p.local().write(ByteBuffer.wrap(bytes(10, 1))), "then held, as by a full receive buffer");
    }

    @Test
    void close_with_nothing_unread_gives_the_peer_eof_and_takes_its_first_write_then_a_broken_pipe()
            throws IOException {
        InMemoryNetwork.ChannelPair p = pair();
        p.local().write(ByteBuffer.wrap(bytes(10, 4)));
        p.local().close();
        assertFalse(p.local().isConnected());
        assertThrows(ClosedChannelException.class, () -> p.local().read(ByteBuffer.allocate(1)));
        assertThrows(ClosedChannelException.class, () -> p.local().getLocalAddress());
        assertArrayEquals(bytes(10, 4), readExactly(p.peer(), 10));
        assertEquals(-1, p.peer().read(ByteBuffer.allocate(10)));
        assertEquals(1, p.peer().write(ByteBuffer.wrap(bytes(1, 1))), "Linux takes the first write after a close");
        IOException e = assertThrows(IOException.class, () -> p.peer().write(ByteBuffer.wrap(bytes(1, 1))));
        assertEquals("Broken pipe", e.getMessage(), "the reset it provoked fails the next one");
        assertEquals(-1, p.peer().read(ByteBuffer.allocate(10)), "reads still see the FIN");
        assertEquals(1, network.openChannels());
    }

    @Test
    void close_with_bytes_unread_resets_the_peer_which_reads_what_was_sent_then_the_reset() throws IOException {
        InMemoryNetwork.ChannelPair p = pair();
        p.local().write(ByteBuffer.wrap(bytes(10, 4)));
        p.peer().write(ByteBuffer.wrap(bytes(5, 5))); // never read by local
        p.local().close();
        assertArrayEquals(bytes(10, 4), readExactly(p.peer(), 10), "bytes sent before the reset arrive");
        IOException r = assertThrows(IOException.class, () -> p.peer().read(ByteBuffer.allocate(10)));
        assertEquals("Connection reset by peer", r.getMessage());
        IOException w = assertThrows(IOException.class, () -> p.peer().write(ByteBuffer.wrap(bytes(1, 1))));
        assertEquals("Connection reset by peer", w.getMessage());
        IOException w2 = assertThrows(IOException.class, () -> p.peer().write(ByteBuffer.wrap(bytes(1, 1))));
        assertEquals("Broken pipe", w2.getMessage(), "Linux reports the reset once, then EPIPE");
    }

    @Test
    void close_with_so_linger_zero_resets_the_peer_which_reads_what_was_sent_then_the_reset() throws IOException {
        InMemoryNetwork.ChannelPair p = pair();
        p.local().write(ByteBuffer.wrap(bytes(10, 4)));
        p.local().setOption(StandardSocketOptions.SO_LINGER, 0);
        p.local().close();
        assertArrayEquals(bytes(10, 4), readExactly(p.peer(), 10), "bytes sent before the reset arrive");
        IOException r = assertThrows(IOException.class, () -> p.peer().read(ByteBuffer.allocate(10)));
        assertEquals("Connection reset by peer", r.getMessage());
        IOException w = assertThrows(IOException.class, () -> p.peer().write(ByteBuffer.wrap(bytes(1, 1))));
        assertEquals("Connection reset by peer", w.getMessage());
    }

    @Test
    void io_on_an_unconnected_channel_throws_not_yet_connected() throws IOException {
        InMemorySocketChannel ch = closing(network.openChannel());
        assertFalse(ch.isConnected());
        assertNull(ch.getRemoteAddress());
        assertThrows(NotYetConnectedException.class, () -> ch.read(ByteBuffer.allocate(1)));
        assertThrows(NotYetConnectedException.class, () -> ch.write(ByteBuffer.allocate(1)));
        assertThrows(NotYetConnectedException.class, ch::shutdownInput);
        assertThrows(NoConnectionPendingException.class, ch::finishConnect);
    }

    @Test
    void connect_reaches_a_listener_which_gets_the_connected_peer_channel() throws IOException {
        List<InMemorySocketChannel> accepted = new CopyOnWriteArrayList<>();
        InMemoryNetwork.Binding listener = closing(network.listen(new InetSocketAddress("127.0.0.1", 0),
                ch -> accepted.add(closing(ch))));
        InMemorySocketChannel client = closing(network.openChannel());
        client.configureBlocking(false);
        assertTrue(client.connect(listener.localAddress()), "a local connect completes at once");
        assertTrue(client.finishConnect());
        assertTrue(client.isConnected());
        assertEquals(1, accepted.size());
        InMemorySocketChannel server = accepted.get(0);
        assertEquals(listener.localAddress(), client.getRemoteAddress());
        assertEquals(client.getLocalAddress(), server.getRemoteAddress());
        assertEquals(listener.localAddress(), server.getLocalAddress());
        assertThrows(AlreadyConnectedException.class, () -> client.connect(listener.localAddress()));
        client.write(ByteBuffer.wrap(bytes(3, 3)));
        assertArrayEquals(bytes(3, 3), readExactly(server, 3));
    }

    @Test
    void connect_to_an_address_nothing_listens_at_is_refused_and_closes_the_channel() {
        InMemorySocketChannel client = closing(network.openChannel());
        ConnectException e = assertThrows(ConnectException.class, () -> client.connect(network.unusedAddress()));
        assertTrue(e.getMessage().startsWith("Connection refused"), e.getMessage());
        assertFalse(client.isOpen());
    }

    @Test
    void connect_to_a_blackhole_stays_pending_until_closed() throws Exception {
        InMemoryNetwork.Binding hole = closing(network.blackhole(null));
        InMemorySocketChannel client = closing(network.openChannel());
        client.configureBlocking(false);
        assertFalse(client.connect(hole.localAddress()));
        assertTrue(client.isConnectionPending());
        assertFalse(client.finishConnect());

        InMemorySocketChannel blocking = closing(network.openChannel());
        AtomicReference<Thread> t = new AtomicReference<>();
        CompletableFuture<Boolean> connect = inThread("blocked-connect", () -> blocking.connect(hole.localAddress()),
                t);
        awaitBlocked(t.get());
        blocking.close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> connect.get(10, TimeUnit.SECONDS));
        assertInstanceOf(AsynchronousCloseException.class, e.getCause());
    }

    @Test
    void a_closed_listener_frees_its_address_and_connects_are_refused() throws IOException {
        InMemoryNetwork.Binding listener = network.listen(null, ch -> { });
        InetSocketAddress address = listener.localAddress();
        assertThrows(java.net.BindException.class, () -> network.listen(address, ch -> { }));
        listener.close();
        assertFalse(listener.isOpen());
        assertThrows(ConnectException.class, () -> closing(network.openChannel()).connect(address));
        closing(network.listen(address, ch -> { })); // free again
    }

    @Test
    void bind_sets_the_local_address_used_by_connect() throws IOException {
        InMemoryNetwork.Binding listener = closing(network.listen(null, this::closing));
        InMemorySocketChannel client = closing(network.openChannel());
        client.bind(new InetSocketAddress("127.0.0.1", 0));
        InetSocketAddress local = (InetSocketAddress) client.getLocalAddress();
        assertTrue(local.getPort() > 0);
        client.connect(listener.localAddress());
        assertEquals(local, client.getLocalAddress());
    }

    @Test
    void options_are_stored_and_unsupported_ones_refused() throws IOException {
        InMemoryNetwork.ChannelPair p = pair();
        SocketChannel ch = p.local();
        assertEquals(java.util.Set.of(StandardSocketOptions.SO_SNDBUF, StandardSocketOptions.SO_RCVBUF,
                StandardSocketOptions.TCP_NODELAY, StandardSocketOptions.SO_KEEPALIVE,
                StandardSocketOptions.SO_LINGER), ch.supportedOptions());
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        ch.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
        ch.setOption(StandardSocketOptions.SO_RCVBUF, 4096);
        assertTrue(ch.getOption(StandardSocketOptions.TCP_NODELAY));
        assertTrue(ch.getOption(StandardSocketOptions.SO_KEEPALIVE));
        assertEquals(4096, ch.getOption(StandardSocketOptions.SO_RCVBUF));
        assertEquals(-1, ch.getOption(StandardSocketOptions.SO_LINGER));
        assertThrows(UnsupportedOperationException.class,
                () -> ch.setOption(StandardSocketOptions.SO_REUSEADDR, true));
        assertThrows(IllegalArgumentException.class, () -> ch.setOption(StandardSocketOptions.SO_SNDBUF, -1));
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, ch::socket);
        assertTrue(e.getMessage().contains("in-memory"), e.getMessage());
        ch.close();
        assertThrows(ClosedChannelException.class, () -> ch.getOption(StandardSocketOptions.SO_SNDBUF));
    }

    @Test
    void the_readiness_listener_hears_of_bytes_room_eof_and_reset() throws IOException {
        InMemoryNetwork.ChannelPair p = pair();
        AtomicInteger input = new AtomicInteger();
        AtomicInteger output = new AtomicInteger();
        p.local().setOption(StandardSocketOptions.SO_SNDBUF, 10);
        p.local().configureBlocking(false);
        p.local().setReadinessListener(InMemorySocketChannel.ReadinessListener.of(input::incrementAndGet,
                output::incrementAndGet));
        assertEquals(0, input.get(), "nothing to read yet");
        assertEquals(1, output.get(), "told at once that there is room");

        p.peer().write(ByteBuffer.wrap(bytes(5, 0)));
        assertEquals(1, input.get(), "bytes arrived");
        assertEquals(10, p.local().write(ByteBuffer.wrap(bytes(20, 0))));
        readExactly(p.peer(), 3);
        assertEquals(2, output.get(), "room freed");
        p.peer().shutdownOutput();
        assertEquals(2, input.get(), "end of stream");
        p.peer().setOption(StandardSocketOptions.SO_LINGER, 0);
        p.peer().close();
        assertTrue(input.get() >= 3 && output.get() >= 3, "a reset reaches both sides: " + input + "/" + output);
        assertEquals(5, p.local().read(ByteBuffer.allocate(10)), "bytes received before the reset are read first");
        assertEquals(-1, p.local().read(ByteBuffer.allocate(1)), "the FIN came before the reset: end of stream");
        IOException e = assertThrows(IOException.class, () -> p.local().write(ByteBuffer.wrap(bytes(1, 0))));
        assertEquals("Broken pipe", e.getMessage(), "Linux reports a reset after a FIN as EPIPE");
    }

    @Test
    void a_channel_of_this_network_and_loop_times_nothing_without_faults() throws IOException {
        InMemoryNetwork.ChannelPair p = pair();
        assertEquals(FaultPlan.NONE, p.local().inputFaults());
        assertEquals(FaultPlan.NONE, p.local().outputFaults());
        p.local().write(ByteBuffer.wrap(bytes(10, 0)));
        assertEquals(0, loop.timerCount(), "no fault, no timer");
        assertEquals(Duration.ZERO, loop.elapsed());
    }
}
