package dev.vconn.inmemory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VIO;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The fault knobs seen through VConns adopted on both ends of a channel pair: what the VIO core makes of a reset,
 * an early EOF and an I/O error at byte N, of fragmentation, latency and bandwidth — and that a seeded run replays
 * event for event.
 */
class VConnFaultTest {
    private static final Duration LIMIT = Duration.ofMinutes(10);

    private final InMemoryTransport transport = new InMemoryTransport();
    private final VirtualTimeEventLoop loop = transport.loop();
    private final List<VConn> vconns = new ArrayList<>();
    private final List<IOBuffer> buffers = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        vconns.forEach(VConn::close);
        assertTrue(loop.runUntil(() -> transport.openResources().isEmpty(), LIMIT), "VConns closed");
        buffers.forEach(IOBuffer::close);
        assertEquals(0, transport.blockPool().outstanding(), "every block back in the pool");
        assertEquals(0, transport.openSockets(), "every channel closed");
        transport.close();
    }

    private static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ((i >>> 8) * 13 + i + seed);
        }
        return b;
    }

    private VConn[] adoptPair(FaultPlan aToB, FaultPlan bToA) throws Exception {
        InMemoryNetwork.ChannelPair p = transport.network().openPair(aToB, bToA);
        VConn a = transport.socketAdopter().adopt(p.local());
        VConn b = transport.socketAdopter().adopt(p.peer());
        vconns.add(a);
        vconns.add(b);
        return new VConn[] {a, b};
    }

    private void run(String what, BooleanSupplier condition) {
        assertTrue(loop.runUntil(condition, LIMIT), "timed out waiting for " + what);
    }

    /** Writes {@code data} with one write VIO of its length; records events. */
    private final class Source {
        final List<Event> events = new CopyOnWriteArrayList<>();
        final WriteVio vio;

        Source(VConn vc, byte[] data) {
            IOBuffer buf = new IOBuffer(transport.blockPool());
            buffers.add(buf);
            IOBufferReader reader = buf.allocReader();
            buf.write(data);
            vio = vc.write(new Continuation((e, d) -> events.add(e)), data.length, reader);
        }

        Event last() {
            return events.isEmpty() ? null : events.get(events.size() - 1);
        }
    }

    /** Reads without end, consuming inside every event; records events with ndone and the loop's clock. */
    private final class Sink {
        final List<Event> events = new CopyOnWriteArrayList<>();
        final List<String> trace = new CopyOnWriteArrayList<>();
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final IOBufferReader reader;

        Sink(VConn vc) {
            IOBuffer buf = new IOBuffer(transport.blockPool());
            buffers.add(buf);
            reader = buf.allocReader();
            vc.read(new Continuation(this::handle), Long.MAX_VALUE, buf);
        }

        private void handle(Event e, Object data) {
            events.add(e);
            trace.add(e + "@" + ((VIO) data).ndone() + "t" + loop.nanoTime());
            int n = (int) reader.readAvail();
            byte[] chunk = new byte[n];
            reader.read(chunk, 0, n);
            bytes.write(chunk, 0, n);
        }

        boolean ended() {
            return events.contains(Event.EOS) || events.contains(Event.ERROR);
        }

        Event last() {
            return events.isEmpty() ? null : events.get(events.size() - 1);
        }
    }

    private static byte[] prefix(byte[] data, int n) {
        return java.util.Arrays.copyOf(data, n);
    }

    @Test
    void a_reset_at_byte_n_gives_the_reader_n_bytes_then_eos_with_econnreset_and_the_writer_error()
            throws Exception {
        VConn[] vc = adoptPair(FaultPlan.builder(11).resetAt(10_000).build(), FaultPlan.NONE);
        byte[] data = pattern(50_000, 1);
        Sink sink = new Sink(vc[1]);
        Source source = new Source(vc[0], data);
        run("the reader's end and the writer's error", () -> sink.ended() && source.events.contains(Event.ERROR));
        assertEquals(Event.EOS, sink.last(), "a reset reads as end of stream: " + sink.events);
        assertArrayEquals(prefix(data, 10_000), sink.bytes.toByteArray(), "exactly the first N bytes");
        assertEquals(Errno.ECONNRESET, vc[1].error().errno());
        assertEquals(Event.ERROR, source.last());
        assertEquals(10_000, source.vio.ndone(), "the writer got as far as byte N");
        assertEquals(Errno.ECONNRESET, vc[0].error().errno());
    }

    @Test
    void an_eof_at_byte_n_gives_the_reader_n_bytes_then_eos_without_error() throws Exception {
        VConn[] vc = adoptPair(FaultPlan.builder(12).eofAt(7_777).build(), FaultPlan.NONE);
        byte[] data = pattern(20_000, 2);
        Sink sink = new Sink(vc[1]);
        Source source = new Source(vc[0], data);
        run("EOS and WRITE_COMPLETE", () -> sink.ended() && source.events.contains(Event.WRITE_COMPLETE));
        assertEquals(Event.EOS, sink.last());
        assertEquals(1, sink.events.stream().filter(e -> e == Event.EOS).count());
        assertArrayEquals(prefix(data, 7_777), sink.bytes.toByteArray());
        assertNull(vc[1].error(), "a clean end of stream");
        assertTrue(!source.events.contains(Event.ERROR), "the writer cannot tell: " + source.events);
    }

    @Test
    void an_io_error_at_byte_n_gives_the_reader_n_bytes_then_error_with_eio() throws Exception {
        VConn[] vc = adoptPair(FaultPlan.builder(13).errorAt(3_000).build(), FaultPlan.NONE);
        byte[] data = pattern(9_000, 3);
        Sink sink = new Sink(vc[1]);
        new Source(vc[0], data);
        run("ERROR", sink::ended);
        assertEquals(Event.ERROR, sink.last(), sink.events.toString());
        assertTrue(!sink.events.contains(Event.EOS));
        assertArrayEquals(prefix(data, 3_000), sink.bytes.toByteArray());
        assertNotNull(vc[1].error());
        assertEquals(Errno.EIO, vc[1].error().errno());
        assertTrue(vc[1].error().message().contains("injected at byte 3000"), vc[1].error().toString());
    }

    @Test
    void an_abort_gives_the_peers_reader_eos_with_econnreset_and_its_writer_error() throws Exception {
        VConn[] vc = adoptPair(FaultPlan.NONE, FaultPlan.NONE);
        Sink sink = new Sink(vc[1]);
        Source back = new Source(vc[1], pattern(200_000, 4)); // more than fits: the writer is held
        run("the back-writer held", () -> back.vio.ndone() >= 64 * 1024);
        vc[0].abort(Errno.ECONNABORTED, new RuntimeException("test abort"));
        run("the peer hears of it", () -> sink.ended() && back.events.contains(Event.ERROR));
        assertEquals(Event.EOS, sink.last());
        assertEquals(Errno.ECONNRESET, vc[1].error().errno());
        assertEquals(Errno.ECONNABORTED, vc[0].error().errno(), "the aborting side keeps its own code");
    }

    @Test
    void fragmented_transfers_both_ways_arrive_byte_for_byte_in_many_more_pieces() throws Exception {
        byte[] up = pattern(1 << 20, 5);
        byte[] down = pattern(1 << 20, 6);
        VConn[] vc = adoptPair(FaultPlan.builder(21).fragmentation(true).build(),
                FaultPlan.builder(22).fragmentation(true).build());
        Sink atB = new Sink(vc[1]);
        Sink atA = new Sink(vc[0]);
        Source fromA = new Source(vc[0], up);
        Source fromB = new Source(vc[1], down);
        run("both transfers", () -> atB.bytes.size() == up.length && atA.bytes.size() == down.length
                && fromA.events.contains(Event.WRITE_COMPLETE) && fromB.events.contains(Event.WRITE_COMPLETE));
        assertArrayEquals(up, atB.bytes.toByteArray());
        assertArrayEquals(down, atA.bytes.toByteArray());
        assertTrue(atB.events.size() > 100, "fragmented into many reads: " + atB.events.size());
    }

    @Test
    void latency_delays_the_readers_first_event_by_exactly_the_latency() throws Exception {
        VConn[] vc = adoptPair(FaultPlan.builder(31).latency(Duration.ofMillis(250)).build(), FaultPlan.NONE);
        Sink sink = new Sink(vc[1]);
        long t0 = loop.nanoTime();
        new Source(vc[0], pattern(1000, 7));
        run("1000 bytes", () -> sink.bytes.size() == 1000);
        assertTrue(sink.trace.get(0).endsWith("t" + (t0 + Duration.ofMillis(250).toNanos())), sink.trace.toString());
    }

    @Test
    void bandwidth_makes_a_megabyte_take_a_second_of_virtual_time() throws Exception {
        int n = 1 << 20;
        VConn[] vc = adoptPair(FaultPlan.builder(41).bytesPerSecond(n).build(), FaultPlan.NONE);
        Sink sink = new Sink(vc[1]);
        long t0 = loop.nanoTime();
        new Source(vc[0], pattern(n, 8));
        run("1 MiB", () -> sink.bytes.size() == n);
        long took = loop.nanoTime() - t0;
        assertTrue(took >= Duration.ofSeconds(1).toNanos() && took <= Duration.ofMillis(1001).toNanos(),
                "1 MiB at 1 MiB/s took " + Duration.ofNanos(took));
    }

    /** One seeded scenario: fragmentation and latency both ways, a reset at the end; the full event trace. */
    private List<String> scenario(long seed) throws Exception {
        FaultPlan up = FaultPlan.builder(seed).fragmentation(true).latency(Duration.ofMillis(3))
                .bytesPerSecond(10_000_000).resetAt(150_000).build();
        FaultPlan down = FaultPlan.builder(seed + 1).fragmentation(true).latency(Duration.ofMillis(5)).build();
        VConn[] vc = adoptPair(up, down);
        Sink atB = new Sink(vc[1]);
        Sink atA = new Sink(vc[0]);
        Source fromA = new Source(vc[0], pattern(200_000, 9));
        Source fromB = new Source(vc[1], pattern(100_000, 10));
        run("the scenario's end", () -> atB.ended() && atA.bytes.size() == 100_000
                && fromB.events.contains(Event.WRITE_COMPLETE) && fromA.events.contains(Event.ERROR));
        List<String> trace = new ArrayList<>(atB.trace);
        trace.add("|");
        trace.addAll(atA.trace);
        vc[0].close();
        vc[1].close();
        return trace;
    }

    @Test
    void a_seeded_run_replays_event_for_event_and_another_seed_does_not() throws Exception {
        List<String> first = scenario(77);
        assertEquals(first, onAFreshTransport(77), "same seed, same events, same ndone, same virtual times");
        assertTrue(!first.equals(onAFreshTransport(78)), "another seed, another run");
    }

    /** Runs {@link #scenario} on a transport of its own (its clock starts at zero too), cleaning up after it. */
    private static List<String> onAFreshTransport(long seed) throws Exception {
        VConnFaultTest fresh = new VConnFaultTest();
        try {
            return fresh.scenario(seed);
        } finally {
            fresh.cleanUp();
        }
    }
}
