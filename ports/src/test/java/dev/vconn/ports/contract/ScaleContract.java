package dev.vconn.ports.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.VConn;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.contract.TransportHarness.ChannelPair;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Load and faults, the same on every transport: a thousand concurrent echoes, ten thousand adopt/close and
 * connect/close cycles that must leave no socket, VConn or block behind (the hygiene check after the test counts
 * sockets), and a peer reset in the middle of a transfer (Traffic Server statement 28).
 */
public abstract class ScaleContract extends TransportContract {
    private static final Duration LONG_WAIT = Duration.ofSeconds(60);

    @Test
    void a_thousand_concurrent_connections_each_echo_64_kib() throws Exception {
        EchoLoad load = new EchoLoad(transport, transport.blockPool(), 64 * 1024);
        try (NetAcceptor.Listener listener = load.listen(harness.listenAddress())) {
            load.connect(listener.localAddress(), 1000);
            await("1000 echoes", LONG_WAIT, () -> load.finished() == 1000);
        }
        assertEquals(List.of(), load.failures());
    }

    @Test
    void ten_thousand_adopt_and_close_cycles_leave_no_socket_behind() throws Exception {
        for (int i = 0; i < 10_000; i++) {
            ChannelPair pair = harness.channelPair();
            VConn vc = transport.socketAdopter().adopt(pair.local());
            vc.close();
            pair.peer().close();
            if (i % 500 == 499) {
                await("closes processed", () -> transport.openResources().isEmpty());
            }
        }
        await("every adopted socket closed", () -> transport.openResources().isEmpty());
    }

    @Test
    void ten_thousand_connect_and_close_cycles_leave_no_socket_behind() throws Exception {
        // The accepting side closes first, so the clients' ports do not pile up in TIME_WAIT.
        try (NetAcceptor.Listener listener = transport.netAcceptor().listen(harness.listenAddress(),
                new dev.vconn.domain.Continuation((e, d) -> ((VConn) d).close()))) {
            for (int i = 0; i < 10_000; i++) {
                AtomicReference<Object> result = new AtomicReference<>();
                transport.netConnector().connect(new dev.vconn.domain.Continuation((e, d) ->
                        result.set(e == Event.NET_CONNECT ? d : e + " " + d)), listener.localAddress());
                await("connect " + i, () -> result.get() != null);
                assertTrue(result.get() instanceof VConn, () -> "connect failed: " + result.get());
                ((VConn) result.get()).close();
            }
        }
        await("every connection closed", () -> transport.openResources().isEmpty());
    }

    @Test
    void a_peer_reset_mid_transfer_ends_the_read_with_eos_and_the_write_with_error() throws Exception {
        ChannelPair pair = harness.channelPair();
        VConn vc = transport.socketAdopter().adopt(pair.local());
        IOBuffer in = buffer();
        IOBufferReader inReader = in.allocReader();
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        List<Event> readEvents = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Event> writeEvents = new java.util.concurrent.CopyOnWriteArrayList<>();
        AtomicInteger ended = new AtomicInteger();
        AtomicReference<Object> readVio = new AtomicReference<>();
        dev.vconn.domain.Continuation c = new dev.vconn.domain.Continuation((e, d) -> {
            if (d == readVio.get()) {
                readEvents.add(e);
                inReader.consume(inReader.readAvail());
            } else {
                writeEvents.add(e);
                if (e == Event.WRITE_READY && outReader.readAvail() < 64 * 1024) {
                    out.write(new byte[16 * 1024]);
                }
            }
            if (e == Event.EOS || e == Event.ERROR) {
                ended.incrementAndGet();
            }
        });
        locked(c, () -> {
            readVio.set(vc.read(c, Long.MAX_VALUE, in));
            vc.write(c, Long.MAX_VALUE, outReader);
        });
        // The peer sends a little, reads nothing, then resets the connection.
        pair.peer().write(ByteBuffer.wrap(new byte[1000]));
        pair.peer().setOption(StandardSocketOptions.SO_LINGER, 0);
        pair.peer().close();
        await("EOS on the read and ERROR on the write", () -> ended.get() == 2);
        assertEquals(Event.EOS, readEvents.get(readEvents.size() - 1), "a reset reads as EOS: " + readEvents);
        assertEquals(Event.ERROR, writeEvents.get(writeEvents.size() - 1), "a writer never gets EOS: " + writeEvents);
        assertTrue(vc.error().errno() == Errno.ECONNRESET || vc.error().errno() == Errno.EPIPE,
                () -> vc.error().toString());
        vc.close();
    }
}
