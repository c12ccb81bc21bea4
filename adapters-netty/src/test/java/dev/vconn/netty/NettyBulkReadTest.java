package dev.vconn.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.VConn;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.TransportConfig;
import dev.vconn.ports.contract.RealSocketHarness;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A read whose room exceeds one 32 KiB block fills more than one block's worth per read (docs/netty-adapter.md,
 * Reads): the adapter stages it in 64 KiB blocks, so the reader's buffer receives pieces larger than 32 KiB (each
 * piece is shared by reference from one staging block), where a 32 KiB staging block made it one piece, and one
 * {@code recv}, per 32 KiB.
 */
class NettyBulkReadTest {
    static {
        LeakRecorder.install();
    }

    private static final int KIB = 1024;

    /** Waits on the loops (a round trip to each per check), at most 20 s. */
    private static void await(NettyTransport transport, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            RealSocketHarness.roundTrip(transport.eventLoops());
        }
    }

    @ParameterizedTest
    @EnumSource(IoKind.class)
    void a_read_with_room_for_several_blocks_fills_more_than_one_32_kib_block_per_read(IoKind kind) throws Exception {
        BlockPool pool = new BlockPool();
        NettyTransport transport = new NettyTransport(TransportConfig.defaults().withEventLoops(1).withBlockPool(pool),
                NettyOptions.defaults().withForceNio(kind == IoKind.NIO));
        long total = 256 * KIB;
        AtomicReference<VConn> server = new AtomicReference<>();
        AtomicReference<VConn> client = new AtomicReference<>();
        AtomicLong largestPiece = new AtomicLong();
        AtomicLong received = new AtomicLong();
        IOBuffer in = new IOBuffer(pool); // 32 KiB blocks
        in.setWaterMark(total); // room for the whole stream: the reader never holds the transport back
        IOBufferReader inReader = in.allocReader();
        IOBuffer out = new IOBuffer(pool);
        IOBufferReader outReader = out.allocReader();
        ByteBuffer[] pieces = new ByteBuffer[64];
        Continuation reader = new Continuation((event, data) -> {
            if (event == Event.READ_READY || event == Event.READ_COMPLETE) {
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
            await(transport, "the connection", () -> client.get() != null && server.get() != null);
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
            await(transport, "the stream written", () -> write.ndone() == total);
            reader.lock().lock();
            try {
                server.get().read(reader, total, in);
            } finally {
                reader.lock().unlock();
            }
            await(transport, "the stream read", () -> received.get() == total);
            assertEquals(total, received.get());
            assertTrue(largestPiece.get() > 32 * KIB,
                    "every read filled at most one 32 KiB block: largest piece " + largestPiece.get() + " bytes");
            client.get().close();
            server.get().close();
        } finally {
            transport.close();
            in.close();
            out.close();
        }
        assertEquals(0, pool.outstanding(), () -> "blocks left: " + pool);
    }
}
