package dev.vconn.netty;

import static dev.vconn.ports.contract.RealSocketHarness.awaitOnLoops;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Bulk reads on the Netty adapter (docs/netty-adapter.md, Reads): while the reader has room, Netty's read loop stages
 * up to 128 KiB beyond the demand in 128 KiB blocks, so a socket read takes up to 128 KiB where it took one 32 KiB block
 * (and 64 KiB before the staging blocks grew),
 * and a reader whose room exceeds one block receives pieces larger than 32 KiB (each piece is shared by reference
 * from one staging block). The reader's buffer never holds more than the read-ahead bound (rule 3.5).
 */
class NettyBulkReadTest {
    static {
        LeakRecorder.install();
    }

    private static final int KIB = 1024;

    @ParameterizedTest
    @EnumSource(IoKind.class)
    void a_read_with_room_for_several_blocks_fills_more_than_one_32_kib_block_per_read(IoKind kind) throws Exception {
        Result r = stream(kind, 256 * KIB);
        assertTrue(r.largestPiece() > 32 * KIB,
                "every read filled at most one 32 KiB block: largest piece " + r.largestPiece() + " bytes");
    }

    @ParameterizedTest
    @EnumSource(IoKind.class)
    void a_reader_with_one_block_of_room_still_gets_socket_reads_of_more_than_32_kib(IoKind kind) throws Exception {
        Result r = stream(kind, 0);
        assertTrue(r.largestSocketRead() > 32 * KIB,
                "no read ahead of the demand: largest socket read " + r.largestSocketRead() + " bytes");
        assertTrue(r.mostUnconsumed() <= 32 * KIB,
                "docs/semantics.md, rule 3.5: at most one block in the reader's buffer, saw " + r.mostUnconsumed());
    }

    @ParameterizedTest
    @EnumSource(IoKind.class)
    void a_socket_read_takes_more_than_64_kib_when_the_kernel_holds_more(IoKind kind) throws Exception {
        Result r = stream(kind, 0);
        assertTrue(r.largestSocketRead() > 64 * KIB,
                "socket reads capped at a 64 KiB staging block: largest " + r.largestSocketRead() + " bytes");
    }

    private record Result(long largestPiece, long largestSocketRead, long mostUnconsumed) {
    }

    /**
     * Streams 256 KiB, all of it waiting in the kernel before the read is posted, to a reader with 32 KiB blocks and
     * {@code waterMark} that consumes inside READ_READY; records the largest piece its buffer received, the largest
     * socket read (a handler ahead of the VConn's in the pipeline sees every read) and the most unconsumed bytes.
     */
    private Result stream(IoKind kind, long waterMark) throws Exception {
        BlockPool pool = new BlockPool();
        NettyTransport transport = new NettyTransport(TransportConfig.defaults().withEventLoops(1).withBlockPool(pool),
                NettyOptions.defaults().withForceNio(kind == IoKind.NIO));
        long total = 256 * KIB;
        AtomicReference<VConn> server = new AtomicReference<>();
        AtomicReference<VConn> client = new AtomicReference<>();
        AtomicLong largestPiece = new AtomicLong();
        AtomicLong largestRead = new AtomicLong();
        AtomicLong mostUnconsumed = new AtomicLong();
        AtomicLong received = new AtomicLong();
        IOBuffer in = new IOBuffer(pool); // 32 KiB blocks
        in.setWaterMark(waterMark);
        IOBufferReader inReader = in.allocReader();
        IOBuffer out = new IOBuffer(pool);
        IOBufferReader outReader = out.allocReader();
        ByteBuffer[] pieces = new ByteBuffer[64];
        Continuation reader = new Continuation((event, data) -> {
            if (event == Event.READ_READY || event == Event.READ_COMPLETE) {
                mostUnconsumed.accumulateAndGet(inReader.readAvail(), Math::max);
                int count = inReader.readableBuffers(pieces, inReader.readAvail());
                for (int i = 0; i < count; i++) {
                    largestPiece.accumulateAndGet(pieces[i].remaining(), Math::max);
                    pieces[i] = null;
                }
                received.addAndGet(inReader.readAvail());
                inReader.consume(inReader.readAvail());
            }
        });
        Continuation acceptor = new Continuation((event, data) -> {
            if (event == Event.NET_ACCEPT) {
                ((ChannelVConn) data).channel().pipeline().addFirst(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        if (msg instanceof ByteBuf buf) {
                            largestRead.accumulateAndGet(buf.readableBytes(), Math::max);
                        }
                        ctx.fireChannelRead(msg);
                    }
                });
                server.set((VConn) data);
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
            // The whole stream waits in the kernel before the read is posted: the first reads have more than
            // 32 KiB to take.
            out.write(new byte[(int) total]);
            WriteVio write;
            writer.lock().lock();
            try {
                write = client.get().write(writer, total, outReader);
            } finally {
                writer.lock().unlock();
            }
            awaitOnLoops(transport.eventLoops(), "the stream written", () -> write.ndone() == total);
            reader.lock().lock();
            try {
                server.get().read(reader, total, in);
            } finally {
                reader.lock().unlock();
            }
            awaitOnLoops(transport.eventLoops(), "the stream read", () -> received.get() == total);
            assertEquals(total, received.get());
            client.get().close();
            server.get().close();
        } finally {
            transport.close();
            in.close();
            out.close();
        }
        assertEquals(0, pool.outstanding(), () -> "blocks left: " + pool);
        return new Result(largestPiece.get(), largestRead.get(), mostUnconsumed.get());
    }
}
