package dev.vconn.netty;

import static dev.vconn.ports.contract.RealSocketHarness.awaitOnLoops;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.VConn;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.netty.internal.ChannelVConn;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.TransportConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Netty adapter keeps a channel's read interest while the read VIO has room (docs/netty-adapter.md, Reads): a
 * reader that consumes what arrives leaves {@code AUTO_READ} on from one read to the next, instead of a read
 * requested, and the interest dropped again, per read.
 */
class NettyReadInterestTest {
    static {
        LeakRecorder.install();
    }

    @ParameterizedTest
    @EnumSource(IoKind.class)
    void a_reader_that_keeps_room_keeps_the_read_interest_from_one_read_to_the_next(IoKind kind) throws Exception {
        BlockPool pool = new BlockPool();
        NettyTransport transport = new NettyTransport(TransportConfig.defaults().withEventLoops(1).withBlockPool(pool),
                NettyOptions.defaults().withForceNio(kind == IoKind.NIO));
        AtomicReference<VConn> server = new AtomicReference<>();
        AtomicReference<VConn> client = new AtomicReference<>();
        AtomicLong received = new AtomicLong();
        List<Boolean> autoReadAfterEachRead = new CopyOnWriteArrayList<>();
        IOBuffer in = new IOBuffer(pool);
        IOBufferReader inReader = in.allocReader();
        IOBuffer out = new IOBuffer(pool);
        IOBufferReader outReader = out.allocReader();
        Continuation reader = new Continuation((event, data) -> {
            if (event == Event.READ_READY) {
                received.addAndGet(inReader.readAvail());
                inReader.consume(inReader.readAvail()); // room again at once
                autoReadAfterEachRead.add(((ChannelVConn) server.get()).channel().config().isAutoRead());
            }
        });
        Continuation acceptor = new Continuation((event, data) -> {
            if (event == Event.NET_ACCEPT) {
                VConn v = (VConn) data;
                server.set(v);
                v.read(reader, Long.MAX_VALUE, in);
            }
        });
        Continuation connector = new Continuation((event, data) -> {
            if (event == Event.NET_CONNECT) {
                client.set((VConn) data);
            }
        });
        Continuation writer = new Continuation((event, data) -> { });
        try (NetAcceptor.Listener listener = transport.netAcceptor()
                .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), acceptor)) {
            transport.netConnector().connect(connector, listener.localAddress());
            awaitOnLoops(transport.eventLoops(), "the connection", () -> client.get() != null && server.get() != null);
            WriteVio write = openWrite(writer, client.get(), outReader);
            byte[] chunk = new byte[1024];
            for (int i = 1; i <= 8; i++) {
                long expected = i * 1024L;
                writeAndReenable(writer, out, write, chunk);
                awaitOnLoops(transport.eventLoops(), expected + " bytes", () -> received.get() == expected);
            }
            assertEquals(8 * 1024L, received.get());
            assertNotNull(server.get());
            assertTrue(autoReadAfterEachRead.size() >= 8, "one READ_READY per chunk at least");
            assertTrue(autoReadAfterEachRead.stream().allMatch(Boolean::booleanValue),
                    "read interest dropped between reads: " + autoReadAfterEachRead);
            client.get().close();
            server.get().close();
        } finally {
            transport.close();
            in.close();
            out.close();
        }
        assertEquals(0, pool.outstanding(), () -> "blocks left: " + pool);
    }

    /**
     * A reader whose read VIO completes and that posts its next read VIO inside READ_COMPLETE (as an HTTP session does
     * between a new connection's first request and the next) keeps the channel's read interest: the interest is
     * dropped only by a task that runs after the pass the new VIO schedules, which renews the demand. Before,
     * {@code AUTO_READ} was already off when READ_COMPLETE came and went on again for the next VIO: two epoll_ctl calls
     * per completed VIO.
     */
    @ParameterizedTest
    @EnumSource(IoKind.class)
    void a_reader_that_posts_its_next_read_inside_read_complete_keeps_the_read_interest(IoKind kind) throws Exception {
        BlockPool pool = new BlockPool();
        NettyTransport transport = new NettyTransport(TransportConfig.defaults().withEventLoops(1).withBlockPool(pool),
                NettyOptions.defaults().withForceNio(kind == IoKind.NIO));
        int messageSize = 16;
        int messages = 20;
        AtomicReference<VConn> server = new AtomicReference<>();
        AtomicReference<VConn> client = new AtomicReference<>();
        AtomicLong received = new AtomicLong();
        List<Boolean> autoReadAtComplete = new CopyOnWriteArrayList<>();
        IOBuffer in = new IOBuffer(pool);
        IOBufferReader inReader = in.allocReader();
        IOBuffer out = new IOBuffer(pool);
        IOBufferReader outReader = out.allocReader();
        AtomicReference<Continuation> readerRef = new AtomicReference<>();
        Continuation reader = new Continuation((event, data) -> {
            if (event == Event.READ_READY || event == Event.READ_COMPLETE) {
                received.addAndGet(inReader.readAvail());
                inReader.consume(inReader.readAvail());
            }
            if (event == Event.READ_COMPLETE) {
                autoReadAtComplete.add(((ChannelVConn) server.get()).channel().config().isAutoRead());
                server.get().read(readerRef.get(), messageSize, in); // the next message's VIO, in the same pass
            }
        });
        readerRef.set(reader);
        Continuation acceptor = new Continuation((event, data) -> {
            if (event == Event.NET_ACCEPT) {
                VConn v = (VConn) data;
                server.set(v);
                reader.lock().lock();
                try {
                    v.read(reader, messageSize, in);
                } finally {
                    reader.lock().unlock();
                }
            }
        });
        Continuation connector = new Continuation((event, data) -> {
            if (event == Event.NET_CONNECT) {
                client.set((VConn) data);
            }
        });
        Continuation writer = new Continuation((event, data) -> { });
        try (NetAcceptor.Listener listener = transport.netAcceptor()
                .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), acceptor)) {
            transport.netConnector().connect(connector, listener.localAddress());
            awaitOnLoops(transport.eventLoops(), "the connection", () -> client.get() != null && server.get() != null);
            WriteVio write = openWrite(writer, client.get(), outReader);
            for (int i = 1; i <= messages; i++) {
                int completes = i;
                writeAndReenable(writer, out, write, new byte[messageSize]);
                // READ_COMPLETE comes after the READ_READY that may have consumed the bytes already: wait for it.
                awaitOnLoops(transport.eventLoops(), "message " + i + " read to its end",
                        () -> autoReadAtComplete.size() == completes);
            }
            assertEquals((long) messages * messageSize, received.get());
            assertEquals(messages, autoReadAtComplete.size(), "one READ_COMPLETE per message");
            assertTrue(autoReadAtComplete.stream().allMatch(Boolean::booleanValue),
                    "the read interest was dropped when a read VIO completed: " + autoReadAtComplete);
            assertTrue(((ChannelVConn) server.get()).channel().config().isAutoRead(),
                    "the last VIO, still open, has the read interest");
            client.get().close();
            server.get().close();
        } finally {
            transport.close();
            in.close();
            out.close();
        }
        assertEquals(0, pool.outstanding(), () -> "blocks left: " + pool);
    }

    /** Opens an unbounded write VIO on {@code client} under the writer's lock. */
    private static WriteVio openWrite(Continuation writer, VConn client, IOBufferReader outReader) {
        writer.lock().lock();
        try {
            return client.write(writer, Long.MAX_VALUE, outReader);
        } finally {
            writer.lock().unlock();
        }
    }

    /** Adds {@code bytes} to the writer's buffer and reenables its write VIO, under the writer's lock. */
    private static void writeAndReenable(Continuation writer, IOBuffer out, WriteVio write, byte[] bytes) {
        writer.lock().lock();
        try {
            out.write(bytes);
            write.reenable();
        } finally {
            writer.lock().unlock();
        }
    }
}
