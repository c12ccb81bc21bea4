package dev.vconn.nio;

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
import dev.vconn.ports.contract.RealSocketHarness;
import dev.vconn.ports.contract.TransportHarness.ChannelPair;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Real-socket tests of the nio adapter beyond the contract kit: scale, file-descriptor hygiene over many
 * cycles, and a peer reset in the middle of a transfer. Every wait is on an event with a bounded timeout.
 */
class NioRealSocketTest {
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private final BlockPool pool = new BlockPool();
    private NioTransport transport;
    private int socketsAtStart;

    @BeforeEach
    void start() {
        socketsAtStart = RealSocketHarness.openSocketDescriptors();
        transport = new NioTransport(TransportConfig.defaults().withEventLoops(2).withBlockPool(pool));
    }

    @AfterEach
    void stop() {
        transport.close();
        assertEquals(0, pool.outstanding(), "blocks left: " + pool);
        assertEquals(List.of(), transport.openResources());
    }

    @Test
    void the_transport_is_found_by_name() {
        try (Transport t = Transports.load("nio", TransportConfig.defaults().withEventLoops(1))) {
            assertEquals("nio", t.name());
            assertEquals(1, t.eventLoops().size());
        }
    }

    @Test
    void a_thousand_concurrent_connections_each_echo_64_kib() throws Exception {
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
            assertTrue(done.await(60, TimeUnit.SECONDS), "echoes finished: " + (connections - done.getCount()));
        } finally {
            listener.close();
        }
        assertEquals(List.of(), List.copyOf(failures));
        awaitClean();
    }

    @Test
    void ten_thousand_adopt_and_close_cycles_leave_no_descriptor_behind() throws Exception {
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

    @Test
    void ten_thousand_connect_and_close_cycles_leave_no_descriptor_behind() throws Exception {
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

    @Test
    void a_peer_reset_mid_transfer_ends_the_read_with_eos_and_the_write_with_error() throws Exception {
        List<AutoCloseable> made = new ArrayList<>();
        ChannelPair pair = RealSocketHarness.loopbackPair(made);
        VConn vc = transport.socketAdopter().adopt(pair.local());
        IOBuffer in = new IOBuffer(pool);
        IOBufferReader inReader = in.allocReader();
        IOBuffer out = new IOBuffer(pool);
        IOBufferReader outReader = out.allocReader();
        List<Event> readEvents = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Event> writeEvents = new java.util.concurrent.CopyOnWriteArrayList<>();
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
        in.close();
        out.close();
        awaitClean();
    }

    @Test
    void posting_from_a_foreign_thread_coalesces_selector_wakeups() throws Exception {
        dev.vconn.nio.internal.NioEventLoop loop = new dev.vconn.nio.internal.NioEventLoop("wakeup-test");
        try {
            CountDownLatch ran = new CountDownLatch(10_000);
            for (int i = 0; i < 10_000; i++) {
                loop.execute(ran::countDown);
            }
            assertTrue(ran.await(10, TimeUnit.SECONDS));
            assertTrue(loop.wakeups() <= loop.rounds() + 1,
                    "one wakeup per loop round at most: " + loop.wakeups() + " wakeups, " + loop.rounds() + " rounds");
            assertTrue(loop.wakeups() < 10_000, "wakeups were coalesced: " + loop.wakeups());
        } finally {
            loop.shutdown(Duration.ofSeconds(5));
        }
    }

    private void awaitOnLoops() {
        RealSocketHarness.roundTrip(transport.eventLoops());
        RealSocketHarness.roundTrip(transport.eventLoops());
    }

    private void awaitClean() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline && !(transport.openResources().isEmpty()
                && RealSocketHarness.openSocketDescriptors() <= socketsAtStart)) {
            awaitOnLoops();
        }
        assertEquals(List.of(), transport.openResources());
        assertTrue(RealSocketHarness.openSocketDescriptors() <= socketsAtStart,
                "socket descriptors back to baseline: " + RealSocketHarness.openSocketDescriptors() + " > " + socketsAtStart);
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
                case WRITE_COMPLETE -> {
                    vc.close();
                    buffer.close();
                }
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
