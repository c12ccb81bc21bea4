package dev.vconn.netty;

import dev.vconn.ports.contract.RealSocketHarness;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.VConn;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.ports.AdoptionException;
import dev.vconn.ports.SocketAdopter;
import dev.vconn.ports.TransportConfig;
import io.netty.channel.epoll.LinuxSocket;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Raw descriptor adoption through the port ({@link SocketAdopter#adoptFileDescriptor(int)}, Traffic Server's
 * {@code TSVConnFdCreate}) on Linux epoll: success, ownership, the switch to non-blocking mode, every refusal
 * leaving the descriptor as it was, and the descriptor baseline over many cycles. Raw descriptors come from Netty's public {@link LinuxSocket}.
 */
class NettyRawFdTest {
    private final BlockPool pool = new BlockPool();
    private final List<AutoCloseable> made = new ArrayList<>();
    private NettyTransport transport;
    private SocketAdopter adopter;
    private int socketsAtStart;

    @BeforeEach
    void start() {
        socketsAtStart = RealSocketHarness.openSocketDescriptors();
        transport = new NettyTransport(TransportConfig.defaults().withEventLoops(2).withBlockPool(pool));
        assertEquals(IoKind.EPOLL, transport.ioKind(), "these tests need Linux epoll");
        adopter = transport.socketAdopter();
        assertTrue(adopter.supportsFileDescriptors());
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : made) {
            c.close();
        }
        transport.close();
        assertEquals(List.of(), transport.openResources());
        assertEquals(0, pool.outstanding(), "blocks left: " + pool);
        await("socket descriptors back to baseline", () -> RealSocketHarness.openSocketDescriptors() <= socketsAtStart);
    }

    @Test
    void a_raw_connected_descriptor_becomes_a_vconn_that_owns_it_and_bytes_flow_both_ways() throws Exception {
        RawSockets.RawPair pair = RawSockets.connect(made);
        int fd = pair.fd();
        String socket = RawSockets.link(fd);
        VConn vc = adopter.adoptFileDescriptor(fd);
        assertTrue(vc.isOpen());
        assertTrue(transport.eventLoops().contains(vc.eventLoop()));
        assertEquals(pair.peer().getLocalAddress(), vc.remoteAddress());
        assertEquals(pair.peer().getRemoteAddress(), vc.localAddress());
        assertTrue(transport.openResources().stream().anyMatch(r -> r.kind().equals("vconn")));

        byte[] up = pattern(50_000, 3);
        sendAll(vc, up);
        assertArrayEquals(up, readFully(pair.peer(), up.length), "VConn to peer");
        byte[] down = pattern(70_000, 5);
        pair.peer().write(ByteBuffer.wrap(down));
        assertArrayEquals(down, receive(vc, down.length), "peer to VConn");

        assertEquals(socket, RawSockets.link(fd), "the caller's descriptor stays the VConn's socket while it lives");
        vc.close();
        await("closing the VConn closes the descriptor", () -> !socket.equals(RawSockets.link(fd)));
        assertEquals(-1, pair.peer().read(ByteBuffer.allocate(1)), "the peer sees end of stream");
        await("the VConn is no longer listed", () -> transport.openResources().isEmpty());
    }

    @Test
    void a_blocking_descriptor_is_switched_to_non_blocking_mode() throws Exception {
        // A JDK channel in blocking mode has a blocking descriptor; find its number as the one socket it adds.
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Set<Integer> before = RawSockets.socketDescriptors();
            SocketChannel jdk = SocketChannel.open();
            Set<Integer> added = new HashSet<>(RawSockets.socketDescriptors());
            added.removeAll(before);
            assertEquals(1, added.size(), "one new socket descriptor: " + added);
            int fd = added.iterator().next();
            jdk.connect(server.getLocalAddress());
            SocketChannel peer = server.accept();
            made.add(peer);
            assertEquals(0, RawSockets.flags(fd) & RawSockets.O_NONBLOCK, "the JDK channel is blocking");
            String socket = RawSockets.link(fd);

            VConn vc = adopter.adoptFileDescriptor(fd); // the VConn owns the socket now; the JDK object is left alone
            assertEquals(RawSockets.O_NONBLOCK, RawSockets.flags(fd) & RawSockets.O_NONBLOCK,
                    "docs/semantics.md, rule 5.1: adoption switches the socket to non-blocking");
            byte[] down = pattern(300_000, 7);
            Thread writer = new Thread(() -> {
                try {
                    peer.write(ByteBuffer.wrap(down));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }, "raw-fd-test-peer-writer");
            writer.start();
            assertArrayEquals(down, receive(vc, down.length), "bytes flow without blocking the loop");
            writer.join(TimeUnit.SECONDS.toMillis(20));
            vc.close();
            await("the descriptor is closed with the VConn", () -> !socket.equals(RawSockets.link(fd)));
        }
    }

    @Test
    void an_abort_resets_the_raw_socket() throws Exception {
        RawSockets.RawPair pair = RawSockets.connect(made);
        VConn vc = adopter.adoptFileDescriptor(pair.fd());
        vc.abort(Errno.ECONNABORTED, null);
        IOException reset = assertThrows(IOException.class, () -> pair.peer().read(ByteBuffer.allocate(10)));
        assertTrue(String.valueOf(reset.getMessage()).toLowerCase(Locale.ROOT).contains("reset"), reset.toString());
    }

    @Test
    void a_closed_descriptor_is_refused() throws Exception {
        RawSockets.RawPair pair = RawSockets.connect(made);
        int fd = pair.fd();
        pair.socket().close();
        assertRefused(fd, "closed");
    }

    @Test
    void a_negative_descriptor_is_refused() {
        assertRefused(-1, "valid");
        assertEquals(List.of(), transport.openResources());
    }

    @Test
    void a_pipe_is_refused_as_not_a_socket_and_left_open() throws Exception {
        FileDescriptor[] pipe = FileDescriptor.pipe();
        try {
            assertRefusedUnchanged(pipe[0].intValue(), "not a socket");
        } finally {
            pipe[0].close();
            pipe[1].close();
        }
    }

    @Test
    void an_unconnected_socket_is_refused_and_left_exactly_as_it_was() throws Exception {
        LinuxSocket socket = LinuxSocket.newSocketStream(false);
        try {
            assertRefusedUnchanged(socket.intValue(), "not connected");
        } finally {
            socket.close();
        }
    }

    @Test
    void a_udp_socket_is_refused_as_not_tcp() throws Exception {
        LinuxSocket socket = LinuxSocket.newSocketDgram(false);
        try {
            assertRefusedUnchanged(socket.intValue(), "not a tcp socket");
        } finally {
            socket.close();
        }
    }

    @Test
    void a_descriptor_already_adopted_is_refused_and_the_first_vconn_is_unaffected() throws Exception {
        RawSockets.RawPair pair = RawSockets.connect(made);
        VConn vc = adopter.adoptFileDescriptor(pair.fd());
        try {
            assertRefusedUnchanged(pair.fd(), "already adopted");
            byte[] down = pattern(1000, 9);
            pair.peer().write(ByteBuffer.wrap(down));
            assertArrayEquals(down, receive(vc, down.length));
        } finally {
            vc.close();
        }
    }

    @Test
    void a_nio_transport_refuses_raw_descriptors_clearly_and_leaves_them_alone() throws Exception {
        RawSockets.RawPair pair = RawSockets.connect(made);
        try (NettyTransport nio = new NettyTransport(TransportConfig.defaults().withEventLoops(1),
                NettyOptions.defaults().withForceNio(true))) {
            assertFalse(nio.socketAdopter().supportsFileDescriptors());
            int flags = RawSockets.flags(pair.fd());
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> nio.socketAdopter().adoptFileDescriptor(pair.fd()));
            assertTrue(e.getMessage().contains("epoll"), e.getMessage());
            assertTrue(e.getMessage().contains("NIO"), e.getMessage());
            assertTrue(e.getMessage().contains("supportsFileDescriptors()"), e.getMessage());
            assertEquals(flags, RawSockets.flags(pair.fd()));
        }
        assertStillUsable(pair);
        pair.socket().close();
    }

    @Test
    void a_closed_transport_refuses_raw_descriptors() throws Exception {
        RawSockets.RawPair pair = RawSockets.connect(made);
        transport.close();
        AdoptionException e = assertThrows(AdoptionException.class, () -> adopter.adoptFileDescriptor(pair.fd()));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertStillUsable(pair);
        pair.socket().close();
    }

    @Test
    void two_thousand_raw_adopt_and_close_cycles_leave_no_descriptor_behind() throws Exception {
        for (int i = 0; i < 2_000; i++) {
            List<AutoCloseable> cycle = new ArrayList<>();
            RawSockets.RawPair pair = RawSockets.connect(cycle);
            VConn vc = adopter.adoptFileDescriptor(pair.fd());
            vc.close();
            pair.peer().close();
        }
        await("every adopted VConn closed", () -> transport.openResources().isEmpty());
        // two Unix sockets of the transport's descriptor switch stay open until the transport closes
        await("socket descriptors back to the baseline",
                () -> RealSocketHarness.openSocketDescriptors() <= socketsAtStart + 2);
    }

    // ---------------------------------------------------------------------------------------------------------

    private void assertRefused(int fd, String word) {
        AdoptionException e = assertThrows(AdoptionException.class, () -> adopter.adoptFileDescriptor(fd));
        assertNotNull(e.getMessage());
        assertTrue(e.getMessage().toLowerCase(Locale.ROOT).contains(word), () -> "expected '" + word + "' in: "
                + e.getMessage());
    }

    /** Refused, and the descriptor is exactly as it was: the same object behind it, the same status flags. */
    private void assertRefusedUnchanged(int fd, String word) {
        String link = RawSockets.link(fd);
        int flags = RawSockets.flags(fd);
        int open = transport.openResources().size();
        assertRefused(fd, word);
        assertEquals(open, transport.openResources().size(), "nothing new is listed as open");
        assertEquals(link, RawSockets.link(fd), "still open, the same object");
        assertEquals(flags, RawSockets.flags(fd), "the same status flags (blocking mode)");
    }

    /** The caller can still talk through a refused raw socket. */
    private static void assertStillUsable(RawSockets.RawPair pair) throws IOException {
        byte[] up = pattern(1000, 11);
        ByteBuffer src = ByteBuffer.allocateDirect(up.length);
        src.put(up).flip();
        int sent = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (sent < up.length && System.nanoTime() < deadline) {
            sent += pair.socket().send(src, src.position(), src.limit());
            src.position(sent);
        }
        assertArrayEquals(up, readFully(pair.peer(), up.length));
    }

    private void sendAll(VConn vc, byte[] data) throws InterruptedException {
        IOBuffer out = new IOBuffer(pool);
        IOBufferReader reader = out.allocReader();
        out.write(data);
        CountDownLatch complete = new CountDownLatch(1);
        AtomicReference<Event> last = new AtomicReference<>();
        Continuation c = new Continuation((e, d) -> {
            last.set(e);
            if (e != Event.WRITE_READY) {
                complete.countDown();
            }
        });
        c.lock().lock();
        try {
            vc.write(c, data.length, reader);
        } finally {
            c.lock().unlock();
        }
        assertTrue(complete.await(20, TimeUnit.SECONDS), "write finished");
        assertEquals(Event.WRITE_COMPLETE, last.get());
        c.lock().lock();
        try {
            out.close();
        } finally {
            c.lock().unlock();
        }
    }

    private byte[] receive(VConn vc, int n) throws InterruptedException {
        IOBuffer in = new IOBuffer(pool);
        IOBufferReader reader = in.allocReader();
        byte[] got = new byte[n];
        int[] at = {0};
        CountDownLatch complete = new CountDownLatch(1);
        AtomicReference<Event> last = new AtomicReference<>();
        Continuation c = new Continuation((e, d) -> {
            last.set(e);
            int avail = (int) reader.readAvail();
            reader.read(got, at[0], avail);
            at[0] += avail;
            if (e != Event.READ_READY) {
                complete.countDown();
            }
        });
        c.lock().lock();
        try {
            vc.read(c, n, in);
        } finally {
            c.lock().unlock();
        }
        assertTrue(complete.await(20, TimeUnit.SECONDS), "read finished");
        assertEquals(Event.READ_COMPLETE, last.get());
        c.lock().lock();
        try {
            in.close();
        } finally {
            c.lock().unlock();
        }
        return got;
    }

    private static byte[] readFully(SocketChannel ch, int n) throws IOException {
        ByteBuffer bb = ByteBuffer.allocate(n);
        while (bb.hasRemaining()) {
            if (ch.read(bb) < 0) {
                throw new IOException("end of stream after " + bb.position() + " of " + n);
            }
        }
        return bb.array();
    }

    private static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for: " + what);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        assertTrue(condition.getAsBoolean(), "still holds after the wait: " + what);
    }
}
