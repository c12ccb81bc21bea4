package dev.vconn.ports.contract;

import static dev.vconn.domain.Event.EOS;
import static dev.vconn.domain.Event.ERROR;
import static dev.vconn.domain.Event.NET_ACCEPT;
import static dev.vconn.domain.Event.READ_COMPLETE;
import static dev.vconn.domain.Event.READ_READY;
import static dev.vconn.domain.Event.WRITE_COMPLETE;
import static dev.vconn.domain.Event.WRITE_READY;
import static dev.vconn.ports.contract.Streams.KIB;
import static dev.vconn.ports.contract.Streams.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.CloseState;
import dev.vconn.domain.Errno;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VConn;
import dev.vconn.domain.buffer.BufferSizes;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.ports.ConnectType;
import dev.vconn.ports.HttpConnectOptions;
import dev.vconn.ports.HttpConnector;
import dev.vconn.ports.Transport;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The transport's in-process connector ({@link Transport#httpConnector}, Traffic Server's
 * {@code TSHttpConnectPlugin}), driven with a test acceptor continuation standing in for the HTTP session.
 *
 * <ul>
 *   <li>rule 6.1, options: {@link HttpConnectOptions} defaults (tag {@code "plugin"}, id 0, index 8, water mark
 *       0, {@code PLUGIN}); {@code clientAddress} required — an IP with a non-zero port, or a Unix-domain address;
 *       every invalid value throws {@link IllegalArgumentException} naming the field (Traffic Server silently
 *       rewrites them, statements 7–8).</li>
 *   <li>rule 6.2: {@code connect} hands the passive end to the acceptor <b>synchronously</b>, as NET_ACCEPT on
 *       the calling thread under the acceptor's lock, then returns the open active end;
 *       the client address is the passive end's remote address; both ends share one of the transport's loops, the
 *       calling thread's when connect runs on one of them.</li>
 *   <li>rules 6.4 and 6.5: a write posted before the passive read is held, not failed (Traffic Server answers ERROR,
 *       statement 19); close and shutdown reach the peer at once, both ways (statements 20–21); the
 *       water mark really bounds the bytes moved ahead of a reader (rule 3.5; statements 14–15, 24).</li>
 *   <li>rule 5.3: a pair is listed in {@link Transport#openResources()} with its tag and id until both ends are
 *       closed (statement 23); {@code connect} on a closed transport throws {@link IllegalStateException}.</li>
 * </ul>
 */
public abstract class HttpConnectorContract extends TransportContract {
    private static final InetSocketAddress CLIENT = new InetSocketAddress("10.1.2.3", 4567);
    private static final BytePattern UP = new BytePattern(71);
    private static final BytePattern DOWN = new BytePattern(72);

    private Recorder acceptor;
    private HttpConnector connector;

    /** Both ends of one connection. */
    record Ends(VConn active, VConn passive) {
    }

    private HttpConnector connector() {
        if (connector == null) {
            acceptor = recorder();
            connector = transport.httpConnector(acceptor.continuation());
        }
        return connector;
    }

    private static HttpConnectOptions options() {
        return HttpConnectOptions.builder().clientAddress(CLIENT).build();
    }

    /** Connects; both ends are closed after the test. */
    private Ends open(HttpConnectOptions options) {
        HttpConnector c = connector();
        int before = acceptor.count();
        VConn active = c.connect(options);
        closeAfter(active::close);
        assertEquals(before + 1, acceptor.count(), "connect hands over exactly one passive end, synchronously");
        Recorder.Entry accepted = acceptor.entries().get(before);
        assertEquals(NET_ACCEPT, accepted.event());
        VConn passive = (VConn) accepted.data();
        closeAfter(passive::close);
        return new Ends(active, passive);
    }

    private static void assertRefused(String field, Executable build) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build);
        assertTrue(e.getMessage().contains(field), () -> "the message names " + field + ": " + e.getMessage());
    }

    // ------------------------------------------------------------------------------------------------ options

    @Test
    void the_builder_defaults_are_traffic_servers() {
        HttpConnectOptions o = options();
        assertEquals(ConnectType.PLUGIN, o.connectType());
        assertEquals(CLIENT, o.clientAddress());
        assertEquals("plugin", o.tag());
        assertEquals(0, o.id());
        assertFalse(o.hasId(), "id 0 means unset");
        assertEquals(BufferSizes.DEFAULT_INDEX, o.bufferIndex());
        assertEquals(8, o.bufferIndex());
        assertEquals(0, o.waterMark());
    }

    @Test
    void the_client_address_is_required_must_have_a_port_and_must_be_resolved() {
        assertRefused("clientAddress", () -> HttpConnectOptions.builder().build());
        assertRefused("port", () -> HttpConnectOptions.builder()
                .clientAddress(new InetSocketAddress("10.1.2.3", 0)).build());
        assertRefused("clientAddress", () -> HttpConnectOptions.builder()
                .clientAddress(InetSocketAddress.createUnresolved("client.invalid", 80)).build());
    }

    @Test
    void a_unix_domain_client_address_is_accepted_and_is_the_passive_ends_remote_address() {
        SocketAddress unix = UnixDomainSocketAddress.of("/tmp/vconn-contract-client.sock");
        Ends e = open(HttpConnectOptions.builder().clientAddress(unix).build());
        assertEquals(unix, e.passive().remoteAddress());
        assertEquals(unix, e.active().localAddress());
    }

    @Test
    void a_buffer_index_outside_0_to_14_is_refused_naming_buffer_index() {
        assertRefused("bufferIndex", () -> HttpConnectOptions.builder().clientAddress(CLIENT).bufferIndex(-1).build());
        assertRefused("bufferIndex", () -> HttpConnectOptions.builder().clientAddress(CLIENT).bufferIndex(15).build());
        assertEquals(14, HttpConnectOptions.builder().clientAddress(CLIENT).bufferIndex(14).build().bufferIndex());
        assertEquals(0, HttpConnectOptions.builder().clientAddress(CLIENT).bufferIndex(0).build().bufferIndex());
    }

    @Test
    void a_negative_water_mark_and_an_empty_or_missing_tag_are_refused_naming_the_field() {
        assertRefused("waterMark", () -> HttpConnectOptions.builder().clientAddress(CLIENT).waterMark(-1).build());
        assertRefused("tag", () -> HttpConnectOptions.builder().clientAddress(CLIENT).tag("").build());
        assertRefused("tag", () -> HttpConnectOptions.builder().clientAddress(CLIENT).tag(null).build());
        assertRefused("connectType", () -> HttpConnectOptions.builder().clientAddress(CLIENT).connectType(null)
                .build());
    }

    // ------------------------------------------------------------------------------------------------ connect

    @Test
    void a_fresh_connection_is_open_at_both_ends() {
        Ends e = open(options());
        for (VConn vc : List.of(e.active(), e.passive())) {
            assertEquals(CloseState.OPEN, vc.closeState());
            assertEquals(0, vc.closeState().code(), "Traffic Server statement 5: TSVConnClosedGet is 0");
            assertTrue(vc.isOpen());
            assertFalse(vc.isReadShutdown() || vc.isWriteShutdown());
            assertNull(vc.readVio());
            assertNull(vc.writeVio());
            assertNull(vc.error());
        }
        assertTrue(transport.eventLoops().contains(e.active().eventLoop()), "on one of the transport's loops");
        assertSame(e.active().eventLoop(), e.passive().eventLoop(), "both ends are pinned to one loop");
    }

    @Test
    void a_connect_made_on_one_of_the_transports_loops_pins_the_pair_to_that_loop() {
        // A session that opens in-process connections (one per HTTP/2 stream) keeps them on its own thread, and so
        // do the transactions they start (docs/threading.md, Loop affinity).
        for (int i = 0; i < 4; i++) {
            EventLoop loop = open(options()).active().eventLoop(); // from the test thread: any of the loops
            for (int j = 0; j < 3; j++) {
                AtomicReference<VConn> made = new AtomicReference<>();
                loop.execute(() -> made.set(connector().connect(options())));
                await("connect on the loop", () -> made.get() != null);
                VConn active = made.get();
                closeAfter(active::close);
                VConn passive = (VConn) acceptor.entries().get(acceptor.count() - 1).data();
                closeAfter(passive::close);
                assertSame(loop, active.eventLoop(), "the pair stays on the loop connect was called on");
                assertSame(loop, passive.eventLoop());
            }
        }
    }

    @Test
    void the_acceptor_gets_net_accept_with_the_passive_end_on_the_calling_thread_before_connect_returns() {
        HttpConnector c = connector();
        Thread caller = Thread.currentThread();
        AtomicReference<String> seen = new AtomicReference<>();
        AtomicReference<Boolean> returnedAlready = new AtomicReference<>(false);
        acceptor.onEvent((event, data) -> {
            VConn passive = (VConn) data;
            boolean listed = transport.openResources().stream().anyMatch(r -> r.kind().equals("pair")
                    && r.description().contains("probe-tag") && r.description().contains("4242"));
            seen.set("thread=" + (Thread.currentThread() == caller) + " returned=" + returnedAlready.get()
                    + " open=" + passive.isOpen() + " remote=" + passive.remoteAddress() + " listed=" + listed);
        });
        VConn active = c.connect(HttpConnectOptions.builder().clientAddress(CLIENT).tag("probe-tag").id(4242)
                .build());
        returnedAlready.set(true);
        closeAfter(active::close);
        assertEquals(List.of(NET_ACCEPT), acceptor.events(), "exactly one NET_ACCEPT, already delivered");
        VConn passive = (VConn) acceptor.entries().get(0).data();
        closeAfter(passive::close);
        assertEquals("thread=true returned=false open=true remote=" + CLIENT + " listed=true", seen.get(),
                "inside connect, on the calling thread, the passive end is open, carries the client address, and "
                        + "its pair is listed with tag and id");
        assertTrue(active.isOpen());
        assertFalse(active == passive);
        assertEquals(CLIENT, active.localAddress());
    }

    @Test
    void a_write_posted_before_the_passive_read_is_held_not_failed_and_delivered_once_it_reads() {
        Ends e = open(options());
        Sent out = send(e.active(), UP, 0, 5000);
        settle();
        assertEquals(List.of(), out.recorder().events(), "held: no ERROR, no progress (docs/semantics.md, rule 6.4)");
        assertEquals(0, out.vio().ndone());
        assertEquals(5000, locked(out.recorder().continuation(), out.reader()::readAvail));

        Reading in = postRead(e.passive(), 5000);
        await("delivered once the passive end reads", () -> in.recorder().saw(READ_COMPLETE)
                && out.recorder().saw(WRITE_COMPLETE));
        assertEquals(List.of(WRITE_COMPLETE), out.recorder().events());
        assertEquals(List.of(READ_COMPLETE), in.recorder().events());
        assertEquals(5000, in.drain(UP, 0));
    }

    @Test
    void one_mib_echoes_through_the_pair_byte_for_byte() {
        Ends e = open(options());
        long n = MIB;
        Streams.Echo echo = tracked(new Streams.Echo(buffer())).start(e.passive(), n);
        Streams.Receiver back = tracked(new Streams.Receiver(buffer(), UP));
        back.start(e.active(), n);
        Streams.Sender out = tracked(new Streams.Sender(buffer(), UP, n));
        out.start(e.active(), n);
        await("1 MiB echoed", () -> (back.finished() && echo.finished() && out.finished())
                || back.failure() != null || echo.failure() != null);
        assertNull(back.failure());
        assertNull(echo.failure());
        assertEquals(n, back.received());
        assertEquals(1, back.count(READ_COMPLETE));
        assertEquals(1, out.count(WRITE_COMPLETE));
        assertEquals(1, echo.count(WRITE_COMPLETE));
    }

    // ------------------------------------------------------------------------------------------- close, shutdown

    @Test
    void closing_the_active_end_gives_the_passive_reader_eos_after_the_bytes_before_it() {
        Ends e = open(options());
        Reading in = postRead(e.passive(), Long.MAX_VALUE);
        Sent out = send(e.active(), UP, 0, 100);
        await("WRITE_COMPLETE", () -> out.recorder().saw(WRITE_COMPLETE));
        e.active().close();
        await("EOS at the passive reader", () -> in.recorder().saw(EOS));
        settle();
        assertEquals(List.of(READ_READY, EOS), in.recorder().events());
        assertEquals(100, in.recorder().entries().get(0).ndone());
        assertEquals(100, in.drain(UP, 0));
    }

    @Test
    void closing_the_passive_end_gives_the_active_reader_eos_and_writer_error() {
        Ends e = open(options());
        Reading in = postRead(e.active(), Long.MAX_VALUE);
        Sent out = send(e.active(), UP, 0, 100);
        settle();
        e.passive().close();
        await("EOS and ERROR at the active end", () -> in.recorder().saw(EOS) && out.recorder().saw(ERROR));
        settle();
        assertEquals(List.of(EOS), in.recorder().events());
        assertEquals(List.of(ERROR), out.recorder().events(), "a writer never gets EOS");
        assertEquals(Errno.EPIPE, e.active().error().errno());
    }

    @Test
    void a_write_shutdown_reaches_the_peer_reader_at_once_in_both_directions() {
        Ends e = open(options());
        Reading passiveIn = postRead(e.passive(), 100);
        Reading activeIn = postRead(e.active(), 100);
        settle();
        e.active().shutdown(ShutdownHow.WRITE);
        await("EOS at the passive reader", () -> passiveIn.recorder().saw(EOS));
        e.passive().shutdown(ShutdownHow.WRITE);
        await("EOS at the active reader", () -> activeIn.recorder().saw(EOS));
        settle();
        assertEquals(List.of(EOS), passiveIn.recorder().events());
        assertEquals(List.of(EOS), activeIn.recorder().events());
    }

    @Test
    void a_read_shutdown_gives_the_peer_writer_error_at_once() {
        Ends e = open(options());
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        Recorder writer = recorder();
        e.active().write(writer.continuation(), 100, outReader);
        await("the write asks for data", () -> writer.saw(WRITE_READY));
        e.passive().shutdown(ShutdownHow.READ);
        await("ERROR at the active writer", () -> writer.saw(ERROR));
        settle();
        assertEquals(List.of(WRITE_READY, ERROR), writer.events());
        assertEquals(Errno.EPIPE, e.active().error().errno());
    }

    // ------------------------------------------------------------------------------------------------ water mark

    // The read-ahead bound of docs/semantics.md rule 3.5, the same rule as on sockets (BackpressureContract):
    // max(W, B), B the reader buffer's block size, W its water mark or, when that is 0, the pair's waterMark option.

    @Test
    void a_water_mark_of_100_kib_moves_exactly_100_kib_to_a_non_consuming_reader() {
        assertPairBound(HttpConnectOptions.builder().clientAddress(CLIENT).waterMark(100 * KIB).build(), 8, 0,
                100 * KIB);
    }

    @Test
    void the_default_options_move_exactly_32_kib_to_a_non_consuming_reader() {
        assertPairBound(options(), 8, 0, 32 * KIB);
    }

    @Test
    void a_reader_with_2_kib_blocks_gets_exactly_2_kib_as_on_a_socket() {
        assertPairBound(options(), 4, 0, 2 * KIB);
    }

    @Test
    void a_reader_water_mark_above_a_small_block_size_is_the_bound_as_on_a_socket() {
        assertPairBound(options(), 4, 10 * KIB, 10 * KIB);
    }

    @Test
    void the_readers_own_water_mark_wins_over_the_pairs() {
        assertPairBound(HttpConnectOptions.builder().clientAddress(CLIENT).waterMark(100 * KIB).build(), 8,
                48 * KIB, 48 * KIB);
    }

    @Test
    void the_pairs_buffer_index_does_not_bound_read_ahead_the_readers_block_size_does() {
        assertPairBound(HttpConnectOptions.builder().clientAddress(CLIENT).bufferIndex(4).build(), 8, 0, 32 * KIB);
    }

    /**
     * A passive reader (a buffer of {@code sizeIndex} with water mark {@code waterMark}) that never consumes gets
     * exactly {@code bound} bytes; the writer has moved exactly as many (no buffer in between); both sides go
     * silent; consume and reenable moves exactly one more bound.
     */
    private void assertPairBound(HttpConnectOptions options, int sizeIndex, long waterMark, long bound) {
        Ends e = open(options);
        AtomicLong maxSeen = new AtomicLong();
        IOBuffer into = buffer(sizeIndex);
        into.setWaterMark(waterMark);
        Reading in = postRead(e.passive(), Long.MAX_VALUE, into);
        in.recorder().onEvent((ev, d) -> maxSeen.accumulateAndGet(in.reader().readAvail(), Math::max));
        long total = 4 * bound;
        Streams.Sender out = tracked(new Streams.Sender(buffer(), UP, total));
        out.start(e.active(), total);

        await("the reader to fill to " + bound, () -> in.vio().ndone() >= bound || out.failure() != null);
        settle();
        int readerEvents = in.recorder().count();
        long writerEvents = out.total();
        settle();
        assertEquals(bound, in.vio().ndone(), "the water mark bounds the bytes moved ahead of the reader");
        assertEquals(bound, out.ndone(), "no intermediate buffer: the writer moved exactly what the reader got");
        assertTrue(maxSeen.get() <= bound, "never more at any callback: " + maxSeen.get());
        assertEquals(readerEvents, in.recorder().count(), "the reader hears nothing more");
        assertEquals(writerEvents, out.total(), "the writer hears nothing more");

        assertEquals(bound, in.drain(UP, 0));
        in.vio().reenable();
        await("one more bound after consume and reenable", () -> in.vio().ndone() >= 2 * bound);
        settle();
        assertEquals(2 * bound, in.vio().ndone());
        assertEquals(bound, in.drain(UP, bound));
        out.stop();
    }

    // ------------------------------------------------------------------------------------------------ ownership

    @Test
    void an_open_pair_is_listed_with_its_tag_and_id_until_both_ends_are_closed() {
        Ends e = open(HttpConnectOptions.builder().clientAddress(CLIENT).tag("ledger-tag").id(777001).build());
        Supplier<Boolean> listed = () -> transport.openResources().stream().anyMatch(r -> r.kind().equals("pair")
                && r.description().contains("ledger-tag") && r.description().contains("777001"));
        assertTrue(listed.get(), () -> "listed with tag and id: " + transport.openResources());
        e.active().close();
        settle();
        assertTrue(listed.get(), "still listed while the passive end is open");
        e.passive().close();
        await("unlisted once both ends are closed", () -> !listed.get());
    }

    @Test
    void connect_on_a_closed_transport_throws_illegal_state() {
        HttpConnector c = connector();
        transport.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.connect(options()));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertEquals(0, acceptor.count(), "no passive end was handed over");
    }
}
