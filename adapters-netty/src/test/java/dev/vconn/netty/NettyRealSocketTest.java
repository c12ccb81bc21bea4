package dev.vconn.netty;

import dev.vconn.ports.contract.RealSocketHarness;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.VConn;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.Transport;
import dev.vconn.ports.TransportConfig;
import dev.vconn.ports.Transports;
import dev.vconn.ports.contract.TransportHarness.ChannelPair;
import io.netty.channel.epoll.Epoll;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Real-socket tests of the Netty adapter beyond the contract kit, on epoll and on Netty's NIO transport: scale,
 * file-descriptor hygiene over many cycles, and a peer reset in the middle of a transfer. Every wait is on an event
 * with a bounded timeout.
 */
class NettyRealSocketTest {
    static {
        LeakRecorder.install();
    }

    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private BlockPool pool = new BlockPool();
    private NettyTransport transport;
    private int socketsAtStart;

    private void start(IoKind kind) {
        start(kind, new BlockPool());
    }

    private void start(IoKind kind, BlockPool blocks) {
        pool = blocks;
        socketsAtStart = RealSocketHarness.openSocketDescriptors();
        transport = new NettyTransport(TransportConfig.defaults().withEventLoops(2).withBlockPool(pool),
                NettyOptions.defaults().withForceNio(kind == IoKind.NIO));
        assertEquals(kind, transport.ioKind());
    }

    @AfterEach
    void stop() {
        if (transport != null) {
            transport.close();
            assertEquals(0, pool.outstanding(), "blocks left: " + pool);
            assertEquals(List.of(), transport.openResources());
            awaitSocketsBackToBaseline();
        }
    }

    @Test
    void the_transport_is_found_by_name_and_runs_epoll_on_linux() {
        assertTrue(Epoll.isAvailable(), () -> "the native epoll transport loads here: " + Epoll.unavailabilityCause());
        try (Transport t = Transports.load("netty", TransportConfig.defaults().withEventLoops(1))) {
            assertEquals("netty", t.name());
            assertEquals(IoKind.EPOLL, ((NettyTransport) t).ioKind());
            assertEquals(2, t.eventLoops().size(), "one epoll loop and one NIO loop for adopted JDK channels");
        }
        try (NettyTransport t = new NettyTransport(TransportConfig.defaults().withEventLoops(1),
                NettyOptions.defaults().withForceNio(true))) {
            assertEquals(IoKind.NIO, t.ioKind());
            assertEquals(1, t.eventLoops().size(), "on NIO the same loops carry adopted channels");
        }
    }

    @ParameterizedTest
    @EnumSource(IoKind.class)
    void a_thousand_concurrent_connections_each_echo_64_kib(IoKind kind) throws Exception {
        start(kind);
        int connections = 1000;
        int size = 64 * 1024;
        CountDownLatch done = new CountDownLatch(connections);
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        NetAcceptor.Listener listener = transport.netAcceptor().listen(LOOPBACK,
                new Continuation((e, d) -> new EchoSession((VConn) d, size).start()));
        try {
            for (int i = 0; i < connections; i++) {
                int seed = i;
                transport.netConnector().connect(new Continuation((e, d) -> {
                    if (e == Event.NET_CONNECT) {
                        new EchoClient((VConn) d, size, seed, done, failures).start();
                    } else {
                        failures.add("connect " + seed + " failed: " + d);
                        done.countDown();
                    }
                }), listener.localAddress());
            }
            assertTrue(done.await(90, TimeUnit.SECONDS), "echoes finished: " + (connections - done.getCount()));
        } finally {
            listener.close();
        }
        assertEquals(List.of(), List.copyOf(failures));
        awaitClean();
    }

    @ParameterizedTest
    @EnumSource(IoKind.class)
    void with_a_heap_block_pool_fifty_connections_echo_256_kib_through_the_copying_path(IoKind kind)
            throws Exception {
        start(kind, BlockPool.heap());
        int connections = 50;
        int size = 256 * 1024;
        CountDownLatch done = new CountDownLatch(connections);
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        NetAcceptor.Listener listener = transport.netAcceptor().listen(LOOPBACK,
                new Continuation((e, d) -> new EchoSession((VConn) d, size).start()));
        try {
            for (int i = 0; i < connections; i++) {
                int seed = i;
                transport.netConnector().connect(new Continuation((e, d) -> {
                    if (e == Event.NET_CONNECT) {
                        new EchoClient((VConn) d, size, seed, done, failures).start();
                    } else {
                        failures.add("connect " + seed + " failed: " + d);
                        done.countDown();
                    }
                }), listener.localAddress());
            }
            assertTrue(done.await(60, TimeUnit.SECONDS), "echoes finished: " + (connections - done.getCount()));
        } finally {
            listener.close();
        }
        assertEquals(List.of(), List.copyOf(failures));
        awaitClean();
    }

    @ParameterizedTest
    @EnumSource(IoKind.class)
    void ten_thousand_adopt_and_close_cycles_leave_no_descriptor_behind(IoKind kind) throws Exception {
        start(kind);
        List<AutoCloseable> made = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            ChannelPair pair = RealSocketHarness.loopbackPair(made);
            VConn vc = transport.socketAdopter().adopt(pair.local());
            vc.close();
            pair.peer().close();
            made.clear();
        }
        awaitClean();
    }

    @ParameterizedTest
    @EnumSource(IoKind.class)
    void ten_thousand_connect_and_close_cycles_leave_no_descriptor_behind(IoKind kind) throws Exception {
        start(kind);
        NetAcceptor.Listener listener = transport.netAcceptor().listen(LOOPBACK,
                new Continuation((e, d) -> ((VConn) d).close())); // the server side closes first: no client TIME_WAIT
        try {
            for (int i = 0; i < 10_000; i++) {
                CountDownLatch connected = new CountDownLatch(1);
                AtomicReference<Object> result = new AtomicReference<>();
                transport.netConnector().connect(new Continuation((e, d) -> {
                    result.set(e == Event.NET_CONNECT ? d : e + " " + d);
                    connected.countDown();
                }), listener.localAddress());
                assertTrue(connected.await(10, TimeUnit.SECONDS), "connect " + i);
                assertTrue(result.get() instanceof VConn, () -> "connect failed: " + result.get());
                ((VConn) result.get()).close();
            }
        } finally {
            listener.close();
        }
        awaitClean();
    }

    @ParameterizedTest
    @EnumSource(IoKind.class)
    void a_peer_reset_mid_transfer_ends_the_read_with_eos_and_the_write_with_error(IoKind kind) throws Exception {
        start(kind);
        List<AutoCloseable> made = new ArrayList<>();
        ChannelPair pair = RealSocketHarness.loopbackPair(made);
        VConn vc = transport.socketAdopter().adopt(pair.local());
        IOBuffer in = new IOBuffer(pool);
        IOBufferReader inReader = in.allocReader();
        IOBuffer out = new IOBuffer(pool);
        IOBufferReader outReader = out.allocReader();
        List<Event> readEvents = new CopyOnWriteArrayList<>();
        List<Event> writeEvents = new CopyOnWriteArrayList<>();
        CountDownLatch ended = new CountDownLatch(2);
        AtomicReference<ReadVio> readVio = new AtomicReference<>();
        Continuation c = new Continuation((e, d) -> {
            if (d == readVio.get()) {
                readEvents.add(e);
                inReader.consume(inReader.readAvail());
            } else {
                writeEvents.add(e);
                if (e == Event.WRITE_READY) {
                    out.write(new byte[16 * 1024]);
                }
            }
            if (e == Event.EOS || e == Event.ERROR) {
                ended.countDown();
            }
        });
        c.lock().lock();
        try {
            readVio.set(vc.read(c, Long.MAX_VALUE, in));
            vc.write(c, Long.MAX_VALUE, outReader);
        } finally {
            c.lock().unlock();
        }
        // The peer sends a little, reads nothing, then resets the connection.
        pair.peer().write(ByteBuffer.wrap(new byte[1000]));
        pair.peer().setOption(StandardSocketOptions.SO_LINGER, 0);
        pair.peer().close();
        assertTrue(ended.await(20, TimeUnit.SECONDS), "read " + readEvents + " write " + writeEvents);
        assertEquals(Event.EOS, readEvents.get(readEvents.size() - 1), "a reset reads as EOS: " + readEvents);
        assertEquals(Event.ERROR, writeEvents.get(writeEvents.size() - 1), "a writer never gets EOS: " + writeEvents);
        assertTrue(vc.error().errno() == Errno.ECONNRESET || vc.error().errno() == Errno.EPIPE, vc.error().toString());
        vc.close();
        awaitOnLoops();
        c.lock().lock();
        try {
            in.close();
            out.close();
        } finally {
            c.lock().unlock();
        }
        awaitClean();
    }

    private void awaitOnLoops() {
        RealSocketHarness.roundTrip(transport.eventLoops());
        RealSocketHarness.roundTrip(transport.eventLoops());
    }

    private void awaitClean() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline && !(transport.openResources().isEmpty()
                && RealSocketHarness.openSocketDescriptors() <= socketsAtStart + 2)) {
            awaitOnLoops();
        }
        assertEquals(List.of(), transport.openResources());
        // The transport's own descriptor switch (two Unix sockets, epoll only) is open until it closes.
        assertTrue(RealSocketHarness.openSocketDescriptors() <= socketsAtStart + 2,
                "socket descriptors back to baseline: " + RealSocketHarness.openSocketDescriptors() + " > "
                        + socketsAtStart + " + 2");
    }

    private void awaitSocketsBackToBaseline() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline && RealSocketHarness.openSocketDescriptors() > socketsAtStart) {
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        assertTrue(RealSocketHarness.openSocketDescriptors() <= socketsAtStart,
                "socket descriptors back to baseline after close: " + RealSocketHarness.openSocketDescriptors() + " > "
                        + socketsAtStart);
    }

    /** Echoes exactly {@code size} bytes back, then closes (server side). */
    private final class EchoSession {
        final VConn vc;
        final int size;
        final IOBuffer buffer = new IOBuffer(pool);
        final IOBufferReader reader = buffer.allocReader();
        ReadVio read;
        WriteVio write;

        EchoSession(VConn vc, int size) {
            this.vc = vc;
            this.size = size;
        }

        void start() {
            Continuation c = new Continuation(this::handle);
            c.lock().lock();
            try {
                read = vc.read(c, size, buffer);
                write = vc.write(c, size, reader);
            } finally {
                c.lock().unlock();
            }
        }

        void handle(Event e, Object d) {
            switch (e) {
                case READ_READY, READ_COMPLETE -> write.reenable();
                case WRITE_READY -> read.reenable();
                default -> {
                    vc.close();
                    buffer.close();
                }
            }
        }
    }

    /** Sends {@code size} pattern bytes and checks they come back (client side). */
    private final class EchoClient {
        final VConn vc;
        final int size;
        final int seed;
        final CountDownLatch done;
        final ConcurrentLinkedQueue<String> failures;
        final IOBuffer out = new IOBuffer(pool);
        final IOBuffer in = new IOBuffer(pool);
        final IOBufferReader inReader = in.allocReader();
        final AtomicInteger checked = new AtomicInteger();
        boolean readDone;
        boolean writeDone;

        EchoClient(VConn vc, int size, int seed, CountDownLatch done, ConcurrentLinkedQueue<String> failures) {
            this.vc = vc;
            this.size = size;
            this.seed = seed;
            this.done = done;
            this.failures = failures;
        }

        void start() {
            byte[] data = new byte[size];
            for (int i = 0; i < size; i++) {
                data[i] = (byte) (i * 7 + seed);
            }
            IOBufferReader outReader = out.allocReader();
            out.write(data);
            Continuation c = new Continuation(this::handle);
            c.lock().lock();
            try {
                vc.read(c, size, in);
                vc.write(c, size, outReader);
            } finally {
                c.lock().unlock();
            }
        }

        void handle(Event e, Object d) {
            switch (e) {
                case READ_READY, READ_COMPLETE -> {
                    byte[] got = new byte[(int) inReader.readAvail()];
                    inReader.read(got, 0, got.length);
                    for (byte b : got) {
                        int i = checked.getAndIncrement();
                        if (b != (byte) (i * 7 + seed)) {
                            failures.add("connection " + seed + " byte " + i + " wrong");
                            finish();
                            return;
                        }
                    }
                    if (e == Event.READ_COMPLETE) {
                        readDone = true;
                    }
                }
                case WRITE_COMPLETE -> writeDone = true;
                case WRITE_READY -> { }
                default -> {
                    failures.add("connection " + seed + " got " + e + " " + vc.error());
                    finish();
                    return;
                }
            }
            if (readDone && writeDone) {
                finish();
            }
        }

        private void finish() {
            if (vc.isOpen()) {
                vc.close();
                out.close();
                in.close();
                done.countDown();
            }
        }
    }
}
