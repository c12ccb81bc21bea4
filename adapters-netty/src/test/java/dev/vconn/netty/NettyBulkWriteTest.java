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
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Bulk writes on the Netty adapter (docs/netty-adapter.md, Writes): the channel's write high water mark is 256 KiB,
 * so a writer with 256 KiB queued hands Netty up to 256 KiB per flush (one {@code writev}) where Netty's default 64 KiB
 * mark capped it, and a peer that does not read holds the writer with at most 256 KiB in Netty, never more.
 */
class NettyBulkWriteTest {
    static {
        LeakRecorder.install();
    }

    private static final int KIB = 1024;
    private static final long TOTAL = 32L * KIB * KIB;

    @ParameterizedTest
    @EnumSource(IoKind.class)
    void a_writer_with_256_kib_queued_hands_netty_at_least_128_kib_per_flush(IoKind kind) throws Exception {
        Result r = stream(kind, 256 * KIB, true);
        assertTrue(r.largestFlush() >= 128 * KIB,
                "each flush capped at Netty's default high water mark: largest " + r.largestFlush() + " bytes");
        assertTrue(r.mostHeld() <= 256 * KIB, "Netty held " + r.mostHeld() + " bytes, more than 256 KiB");
    }

    @ParameterizedTest
    @EnumSource(IoKind.class)
    void a_peer_that_does_not_read_holds_the_writer_with_at_most_256_kib_in_netty(IoKind kind) throws Exception {
        Result r = stream(kind, 1024 * KIB, false);
        assertTrue(r.heldWhenStalled() > 192 * KIB && r.heldWhenStalled() <= 256 * KIB,
                "Netty holds up to its 256 KiB high water mark once the kernel's buffers are full, held "
                        + r.heldWhenStalled() + " (" + r.stalledAt() + ")");
        assertTrue(r.mostHeld() <= 256 * KIB, "Netty held " + r.mostHeld() + " bytes, more than 256 KiB");
    }

    private record Result(long largestFlush, long mostHeld, long heldWhenStalled, String stalledAt) {
    }

    /**
     * Sees every write and flush of the channel: bytes per flush, and the bytes Netty holds at each flush (flushed
     * and not yet written, plus those of this flush).
     */
    private static final class FlushRecorder extends ChannelOutboundHandlerAdapter {
        private long sinceFlush;
        final AtomicLong largestFlush = new AtomicLong();
        final AtomicLong mostHeld = new AtomicLong();

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof ByteBuf buf) {
                sinceFlush += buf.readableBytes();
            }
            ctx.write(msg, promise);
        }

        @Override
        public void flush(ChannelHandlerContext ctx) throws Exception {
            largestFlush.accumulateAndGet(sinceFlush, Math::max);
            mostHeld.accumulateAndGet(pending(ctx) + sinceFlush, Math::max);
            sinceFlush = 0;
            ctx.flush();
        }

        static long pending(ChannelHandlerContext ctx) throws Exception {
            ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
            long[] sum = {0};
            if (out != null) {
                out.forEachFlushedMessage(m -> {
                    sum[0] += ((ByteBuf) m).readableBytes();
                    return true;
                });
            }
            return sum[0];
        }
    }

    /**
     * Writes {@link #TOTAL} bytes from a writer that keeps {@code queued} bytes in its buffer (refilled on
     * WRITE_READY). With {@code peerReads} the peer reads from the start; otherwise it reads only once the writer is
     * held (its {@code ndone} still over several loop round trips), and the bytes Netty holds then are recorded.
     */
    private Result stream(IoKind kind, int queued, boolean peerReads) throws Exception {
        BlockPool pool = new BlockPool();
        NettyTransport transport = new NettyTransport(TransportConfig.defaults().withEventLoops(1).withBlockPool(pool),
                NettyOptions.defaults().withForceNio(kind == IoKind.NIO));
        AtomicReference<VConn> server = new AtomicReference<>();
        AtomicReference<ChannelVConn> client = new AtomicReference<>();
        FlushRecorder recorder = new FlushRecorder();
        AtomicLong received = new AtomicLong();
        AtomicLong produced = new AtomicLong();
        IOBuffer in = new IOBuffer(pool);
        IOBufferReader inReader = in.allocReader();
        IOBuffer out = new IOBuffer(pool);
        IOBufferReader outReader = out.allocReader();
        byte[] chunk = new byte[queued];
        Runnable refill = () -> {
            long n = Math.min(queued - outReader.readAvail(), TOTAL - produced.get());
            if (n > 0) {
                out.write(chunk, 0, (int) n);
                produced.addAndGet(n);
            }
        };
        Continuation reader = new Continuation((event, data) -> {
            if (event == Event.READ_READY || event == Event.READ_COMPLETE) {
                received.addAndGet(inReader.readAvail());
                inReader.consume(inReader.readAvail());
            }
        });
        Continuation writer = new Continuation((event, data) -> {
            if (event == Event.WRITE_READY) {
                refill.run();
            }
        });
        Continuation acceptor = new Continuation((event, data) -> {
            if (event == Event.NET_ACCEPT) {
                server.set((VConn) data);
            }
        });
        Continuation connector = new Continuation((event, data) -> {
            if (event == Event.NET_CONNECT) {
                ChannelVConn vc = (ChannelVConn) data;
                vc.channel().pipeline().addFirst(recorder);
                client.set(vc);
            }
        });
        long heldWhenStalled = -1;
        String stalledAt = "";
        try (NetAcceptor.Listener listener = transport.netAcceptor()
                .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), acceptor)) {
            transport.netConnector().connect(connector, listener.localAddress());
            awaitOnLoops(transport.eventLoops(), "the connection", () -> client.get() != null && server.get() != null);
            if (peerReads) {
                startRead(reader, server.get(), in);
            }
            WriteVio write;
            writer.lock().lock();
            try {
                refill.run();
                write = client.get().write(writer, TOTAL, outReader);
            } finally {
                writer.lock().unlock();
            }
            if (!peerReads) {
                long[] last = {-1, 0};
                awaitOnLoops(transport.eventLoops(), "the writer held by the peer that does not read", () -> {
                    long now = write.ndone();
                    last[1] = now == last[0] ? last[1] + 1 : 0;
                    last[0] = now;
                    return now > 0 && last[1] >= 5;
                });
                assertTrue(write.ndone() < TOTAL, "the writer was held short of its total");
                AtomicLong held = new AtomicLong(-1);
                transport.eventLoops().get(0).execute(() -> {
                    try {
                        held.set(FlushRecorder.pending(client.get().channel().pipeline().firstContext()));
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
                awaitOnLoops(transport.eventLoops(), "Netty's held bytes", () -> held.get() >= 0);
                heldWhenStalled = held.get();
                stalledAt = "ndone " + write.ndone() + ", produced " + produced.get() + ", writable "
                        + client.get().channel().isWritable();
                startRead(reader, server.get(), in);
            }
            awaitOnLoops(transport.eventLoops(), "the stream read", () -> received.get() == TOTAL);
            assertEquals(TOTAL, write.ndone());
            client.get().close();
            server.get().close();
        } finally {
            transport.close();
            in.close();
            out.close();
        }
        assertEquals(0, pool.outstanding(), () -> "blocks left: " + pool);
        return new Result(recorder.largestFlush.get(), recorder.mostHeld.get(), heldWhenStalled, stalledAt);
    }

    private static void startRead(Continuation reader, VConn server, IOBuffer in) {
        reader.lock().lock();
        try {
            server.read(reader, TOTAL, in);
        } finally {
            reader.lock().unlock();
        }
    }
}
