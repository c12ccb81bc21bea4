package dev.vconn.netty;

import static dev.vconn.ports.contract.RealSocketHarness.awaitOnLoops;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.VConn;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.TransportConfig;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Small reads and writes on the Netty adapter (docs/netty-adapter.md, Small reads and writes): a write of at most
 * 2 KiB is copied into one pooled Netty buffer and a read on a request-response connection lands in one, so such
 * transfers take no block of the transport's block pool (before, every read took a 128 KiB staging block and every
 * piece under 128 bytes a block of the outbound buffer). The pooled buffers are reused: a message must never carry
 * bytes of an earlier, longer one.
 */
class NettySmallTransferTest {
    static {
        LeakRecorder.install();
    }

    /** Sizes of the messages, in order: longer ones followed by shorter ones, up to the 2 KiB small-write bound. */
    private static final int[] SIZES = {45, 361, 2048, 100, 1, 2000, 127, 128, 1500, 3, 700, 2047, 64};

    @ParameterizedTest
    @EnumSource(IoKind.class)
    void small_messages_one_at_a_time_arrive_exactly_and_take_no_block_of_the_transports_pool(IoKind kind)
            throws Exception {
        BlockPool transportPool = new BlockPool();
        BlockPool testPool = new BlockPool(); // the test's own VIO buffers, so the transport's pool counts only its own
        NettyTransport transport = new NettyTransport(
                TransportConfig.defaults().withEventLoops(1).withBlockPool(transportPool),
                NettyOptions.defaults().withForceNio(kind == IoKind.NIO));
        int rounds = 5;
        long total = (long) rounds * Arrays.stream(SIZES).sum();
        AtomicReference<VConn> server = new AtomicReference<>();
        AtomicReference<VConn> client = new AtomicReference<>();
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        IOBuffer in = new IOBuffer(testPool);
        IOBufferReader inReader = in.allocReader();
        IOBuffer out = new IOBuffer(testPool);
        IOBufferReader outReader = out.allocReader();
        Continuation reader = new Continuation((event, data) -> {
            if (event == Event.READ_READY || event == Event.READ_COMPLETE) {
                byte[] bytes = new byte[(int) inReader.readAvail()];
                inReader.read(bytes, 0, bytes.length);
                synchronized (received) {
                    received.write(bytes, 0, bytes.length);
                }
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
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        try (NetAcceptor.Listener listener = transport.netAcceptor()
                .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), acceptor)) {
            transport.netConnector().connect(connector, listener.localAddress());
            awaitOnLoops(transport.eventLoops(), "the connection", () -> client.get() != null && server.get() != null);
            reader.lock().lock();
            try {
                server.get().read(reader, total, in);
            } finally {
                reader.lock().unlock();
            }
            byte fill = 'a';
            for (int round = 0; round < rounds; round++) {
                for (int size : SIZES) {
                    byte[] message = new byte[size];
                    Arrays.fill(message, fill);
                    fill = (byte) (fill == 'z' ? 'a' : fill + 1);
                    sent.write(message);
                    long expected = sent.size();
                    out.write(message);
                    WriteVio write;
                    writer.lock().lock();
                    try {
                        write = client.get().write(writer, size, outReader);
                    } finally {
                        writer.lock().unlock();
                    }
                    awaitOnLoops(transport.eventLoops(), "a message of " + size + " bytes written",
                            () -> write.ndone() == size);
                    // One message at a time: each is read on its own, after the previous one was read.
                    awaitOnLoops(transport.eventLoops(), "a message of " + size + " bytes received", () -> {
                        synchronized (received) {
                            return received.size() == expected;
                        }
                    });
                }
            }
            synchronized (received) {
                assertArrayEquals(sent.toByteArray(), received.toByteArray(),
                        "every message arrives exactly, with no byte of an earlier one");
            }
            client.get().close();
            server.get().close();
        } finally {
            transport.close();
            in.close();
            out.close();
        }
        assertEquals(0, transportPool.report().peakOutstandingBytes(),
                () -> "small transfers took blocks of the transport's pool: " + transportPool.report());
        assertEquals(0, transportPool.outstanding(), () -> "blocks left: " + transportPool);
        assertEquals(0, testPool.outstanding(), () -> "blocks left: " + testPool);
    }
}
