package dev.vconn.inmemory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.loop.VirtualTimeEventLoop;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every knob of {@link FaultPlan}, seen through the channels: fragmentation bounds and reproducibility, latency and
 * bandwidth on the virtual clock, and the reset / EOF / I/O error at exactly byte N.
 */
class FaultPlanTest {

    @Test
    void the_builder_starts_with_no_fault_and_validates_every_field() {
        FaultPlan none = FaultPlan.builder(7).build();
        assertTrue(none.isNone());
        assertEquals(7, none.seed());
        assertEquals(FaultPlan.NEVER, none.resetAtByte());
        assertTrue(FaultPlan.NONE.isNone());
        assertEquals("FaultPlan[none]", FaultPlan.NONE.toString());

        FaultPlan all = FaultPlan.builder(42).fragmentation(true).latency(Duration.ofMillis(3)).bytesPerSecond(1000)
                .resetAt(10).eofAt(20).errorAt(30).build();
        assertFalse(all.isNone());
        assertEquals(all, all.toBuilder().build());
        assertEquals(43, all.toBuilder().seed(43).build().seed());
        assertTrue(all.toString().contains("seed=42"), "the seed is recorded: " + all);

        assertThrows(IllegalArgumentException.class, () -> FaultPlan.builder(1).latency(Duration.ofMillis(-1)).build());
        assertThrows(IllegalArgumentException.class, () -> FaultPlan.builder(1).bytesPerSecond(-1).build());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FaultPlan.builder(1).resetAt(-2).build());
        assertTrue(e.getMessage().contains("resetAtByte"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FaultPlan.builder(1).eofAt(-5).build());
        assertThrows(IllegalArgumentException.class, () -> FaultPlan.builder(1).errorAt(-5).build());
        assertThrows(NullPointerException.class, () -> FaultPlan.builder(1).latency(null).build());
    }

    @Test
    void each_channel_knows_the_plans_of_its_two_directions() throws IOException {
        InMemoryNetwork network = new InMemoryNetwork(new VirtualTimeEventLoop());
        FaultPlan up = FaultPlan.builder(1).fragmentation(true).build();
        FaultPlan down = FaultPlan.builder(2).eofAt(5).build();
        try (InMemoryNetwork.ChannelPair p = network.openPair(up, down)) {
            assertEquals(up, p.local().outputFaults());
            assertEquals(down, p.local().inputFaults());
            assertEquals(up, p.peer().inputFaults());
            assertEquals(down, p.peer().outputFaults());
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Fragmentation

    /** What one fragmented exchange looked like: the sizes each call moved, and the bytes received. */
    private record Trace(List<Integer> writes, List<Integer> reads, byte[] received) {
    }

    private static Trace fragmentedExchange(FaultPlan plan) throws IOException {
        InMemoryNetwork network = new InMemoryNetwork(new VirtualTimeEventLoop());
        byte[] data = new byte[50_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7 + 3);
        }
        List<Integer> writes = new ArrayList<>();
        List<Integer> reads = new ArrayList<>();
        ByteBuffer received = ByteBuffer.allocate(data.length);
        try (InMemoryNetwork.ChannelPair p = network.openPair(plan, FaultPlan.NONE)) {
            p.local().configureBlocking(false);
            p.peer().configureBlocking(false);
            ByteBuffer src = ByteBuffer.wrap(data);
            ByteBuffer chunk = ByteBuffer.allocate(4096);
            while (received.hasRemaining()) {
                if (src.hasRemaining()) {
                    int asked = Math.min(src.remaining(), 3000);
                    ByteBuffer slice = src.slice(src.position(), asked);
                    int n = p.local().write(slice);
                    assertTrue(n >= 1 && n <= asked, "a write moves 1.." + asked + " bytes, moved " + n);
                    src.position(src.position() + n);
                    writes.add(n);
                }
                chunk.clear().limit(Math.min(chunk.capacity(), received.remaining()));
                int asked = chunk.remaining();
                int n = p.peer().read(chunk);
                assertTrue(n >= 0 && n <= asked, "a read moves 0.." + asked + " bytes, moved " + n);
                if (n > 0) {
                    reads.add(n);
                    received.put(chunk.flip());
                }
            }
            assertArrayEquals(data, received.array(), "fragmentation never loses, duplicates or reorders a byte");
        }
        return new Trace(writes, reads, received.array());
    }

    @Test
    void fragmentation_cuts_every_read_and_write_at_random_sizes_within_bounds() throws IOException {
        Trace t = fragmentedExchange(FaultPlan.builder(42).fragmentation(true).build());
        assertTrue(t.writes().stream().anyMatch(n -> n < 3000), "some writes were cut: " + t.writes());
        assertTrue(t.reads().stream().anyMatch(n -> n < 100), "some reads were cut small: " + t.reads());
        assertTrue(t.writes().stream().distinct().count() > 5, "sizes vary: " + t.writes());

        Trace whole = fragmentedExchange(FaultPlan.NONE);
        assertTrue(whole.writes().stream().allMatch(n -> n == 3000 || n == 50_000 % 3000),
                "without the knob a write takes all it can: " + whole.writes());
        assertTrue(t.writes().size() > whole.writes().size());
    }

    @Test
    void fragmentation_replays_exactly_with_the_same_seed_and_differs_with_another() throws IOException {
        FaultPlan plan = FaultPlan.builder(2024).fragmentation(true).build();
        Trace first = fragmentedExchange(plan);
        Trace again = fragmentedExchange(plan);
        assertEquals(first.writes(), again.writes());
        assertEquals(first.reads(), again.reads());
        Trace other = fragmentedExchange(plan.toBuilder().seed(2025).build());
        assertNotEquals(first.writes(), other.writes());
    }

    @Test
    void a_one_byte_request_is_never_cut_below_one_byte() throws IOException {
        InMemoryNetwork network = new InMemoryNetwork(new VirtualTimeEventLoop());
        try (InMemoryNetwork.ChannelPair p = network.openPair(FaultPlan.builder(5).fragmentation(true).build(),
                FaultPlan.NONE)) {
            for (int i = 0; i < 100; i++) {
                assertEquals(1, p.local().write(ByteBuffer.wrap(new byte[] {(byte) i})));
                ByteBuffer one = ByteBuffer.allocate(1);
                assertEquals(1, p.peer().read(one));
                assertEquals((byte) i, one.get(0));
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Latency and bandwidth, on the virtual clock

    private static int readNow(InMemorySocketChannel ch, int max) {
        try {
            return ch.read(ByteBuffer.allocate(max));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void latency_delays_every_byte_by_exactly_the_latency_on_the_virtual_clock() throws IOException {
        VirtualTimeEventLoop loop = new VirtualTimeEventLoop();
        InMemoryNetwork network = new InMemoryNetwork(loop);
        try (InMemoryNetwork.ChannelPair p = network.openPair(
                FaultPlan.builder(1).latency(Duration.ofMillis(50)).build(), FaultPlan.NONE)) {
            p.peer().configureBlocking(false);
            p.local().write(ByteBuffer.wrap(new byte[100]));
            loop.advance(Duration.ofMillis(20));
            p.local().write(ByteBuffer.wrap(new byte[30]));
            assertEquals(0, readNow(p.peer(), 1000), "nothing before the latency");
            loop.advance(Duration.ofMillis(30).minusNanos(1));
            assertEquals(0, readNow(p.peer(), 1000), "still nothing 1 ns before");
            loop.advance(Duration.ofNanos(1));
            assertEquals(100, readNow(p.peer(), 1000), "the first write arrives at exactly 50 ms");
            loop.advance(Duration.ofMillis(20));
            assertEquals(30, readNow(p.peer(), 1000), "the second at 20 + 50 ms");

            p.local().shutdownOutput();
            assertEquals(-1, readNow(p.peer(), 1000));
        }
    }

    @Test
    void end_of_stream_comes_only_after_every_delayed_byte() throws IOException {
        VirtualTimeEventLoop loop = new VirtualTimeEventLoop();
        InMemoryNetwork network = new InMemoryNetwork(loop);
        try (InMemoryNetwork.ChannelPair p = network.openPair(
                FaultPlan.builder(1).latency(Duration.ofSeconds(1)).build(), FaultPlan.NONE)) {
            p.peer().configureBlocking(false);
            p.local().write(ByteBuffer.wrap(new byte[10]));
            p.local().shutdownOutput();
            assertEquals(0, readNow(p.peer(), 100), "the bytes are on the wire, so no EOF yet");
            assertTrue(loop.runUntil(() -> loop.timerCount() == 0, Duration.ofMinutes(1)));
            assertEquals(Duration.ofSeconds(1), loop.elapsed(), "an arrival timer ran at exactly 1 s");
            assertEquals(10, readNow(p.peer(), 100));
            assertEquals(-1, readNow(p.peer(), 100));
        }
    }

    @Test
    void bandwidth_serialises_writes_at_the_given_rate_on_the_virtual_clock() throws IOException {
        VirtualTimeEventLoop loop = new VirtualTimeEventLoop();
        InMemoryNetwork network = new InMemoryNetwork(loop);
        try (InMemoryNetwork.ChannelPair p = network.openPair(
                FaultPlan.builder(1).bytesPerSecond(1000).latency(Duration.ofMillis(10)).build(), FaultPlan.NONE)) {
            p.peer().configureBlocking(false);
            p.local().write(ByteBuffer.wrap(new byte[500])); // on the wire 0..500 ms, arrives at 510 ms
            p.local().write(ByteBuffer.wrap(new byte[100])); // queued behind it: 500..600 ms, arrives at 610 ms
            loop.advance(Duration.ofMillis(510).minusNanos(1));
            assertEquals(0, readNow(p.peer(), 1000));
            loop.advance(Duration.ofNanos(1));
            assertEquals(500, readNow(p.peer(), 1000));
            loop.advance(Duration.ofMillis(100).minusNanos(1));
            assertEquals(0, readNow(p.peer(), 1000));
            loop.advance(Duration.ofNanos(1));
            assertEquals(100, readNow(p.peer(), 1000));

            loop.advance(Duration.ofSeconds(5)); // the wire went idle: a new write starts at once
            long start = loop.nanoTime();
            p.local().write(ByteBuffer.wrap(new byte[3]));
            assertTrue(loop.runUntil(() -> loop.timerCount() == 0, Duration.ofMinutes(1)));
            assertEquals(Duration.ofMillis(13).toNanos(), loop.nanoTime() - start, "3 bytes at 1000 B/s + 10 ms");
            assertEquals(3, readNow(p.peer(), 1000));
        }
    }

    @Test
    void bytes_in_flight_count_against_the_writers_buffer_so_bandwidth_holds_a_fast_writer_back()
            throws IOException {
        VirtualTimeEventLoop loop = new VirtualTimeEventLoop();
        InMemoryNetwork network = new InMemoryNetwork(loop);
        try (InMemoryNetwork.ChannelPair p = network.openPair(FaultPlan.builder(1).bytesPerSecond(1000).build(),
                FaultPlan.NONE)) {
            p.local().configureBlocking(false);
            p.local().setOption(java.net.StandardSocketOptions.SO_SNDBUF, 100);
            assertEquals(100, p.local().write(ByteBuffer.wrap(new byte[1000])));
            assertEquals(0, p.local().write(ByteBuffer.wrap(new byte[1000])), "held until the reader reads");
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Reset, EOF and I/O error at byte N (through the channels; FaultInjectionVConnTest shows them through VConns)

    private static byte[] readAll(InMemorySocketChannel ch, List<IOException> failure) {
        ByteBuffer all = ByteBuffer.allocate(100_000);
        ByteBuffer chunk = ByteBuffer.allocate(777);
        try {
            while (true) {
                chunk.clear();
                int n = ch.read(chunk);
                if (n < 0) {
                    break;
                }
                if (n == 0) {
                    throw new AssertionError("a non-blocking read found nothing before the fault");
                }
                all.put(chunk.flip());
            }
        } catch (IOException e) {
            failure.add(e);
        }
        byte[] got = new byte[all.position()];
        all.flip().get(got);
        return got;
    }

    @Test
    void a_reset_at_byte_n_delivers_exactly_n_bytes_then_resets_reader_and_writer() throws IOException {
        InMemoryNetwork network = new InMemoryNetwork(new VirtualTimeEventLoop());
        try (InMemoryNetwork.ChannelPair p = network.openPair(FaultPlan.builder(3).resetAt(1234).build(),
                FaultPlan.NONE)) {
            p.local().configureBlocking(false);
            p.peer().configureBlocking(false);
            assertEquals(1234, p.local().write(ByteBuffer.wrap(new byte[5000])), "the writer stops at byte N");
            IOException w = assertThrows(IOException.class, () -> p.local().write(ByteBuffer.wrap(new byte[1])));
            assertEquals("Connection reset by peer", w.getMessage());
            List<IOException> failure = new ArrayList<>();
            assertEquals(1234, readAll(p.peer(), failure).length);
            assertEquals(1, failure.size());
            assertEquals("Connection reset by peer", failure.get(0).getMessage());
        }
    }

    @Test
    void an_eof_at_byte_n_delivers_exactly_n_bytes_then_end_of_stream_and_the_writer_cannot_tell()
            throws IOException {
        InMemoryNetwork network = new InMemoryNetwork(new VirtualTimeEventLoop());
        try (InMemoryNetwork.ChannelPair p = network.openPair(FaultPlan.builder(3).eofAt(999).build(),
                FaultPlan.NONE)) {
            p.local().configureBlocking(false);
            p.peer().configureBlocking(false);
            assertEquals(999, p.local().write(ByteBuffer.wrap(new byte[5000])));
            assertEquals(10, p.local().write(ByteBuffer.wrap(new byte[10])), "bytes past N are dropped silently");
            List<IOException> failure = new ArrayList<>();
            assertEquals(999, readAll(p.peer(), failure).length);
            assertEquals(List.of(), failure);
            assertEquals(-1, p.peer().read(ByteBuffer.allocate(1)), "the end stays");
        }
    }

    @Test
    void an_io_error_at_byte_n_delivers_exactly_n_bytes_then_fails_every_read() throws IOException {
        InMemoryNetwork network = new InMemoryNetwork(new VirtualTimeEventLoop());
        try (InMemoryNetwork.ChannelPair p = network.openPair(FaultPlan.builder(3).errorAt(4321).build(),
                FaultPlan.NONE)) {
            p.local().configureBlocking(false);
            p.peer().configureBlocking(false);
            p.local().write(ByteBuffer.wrap(new byte[10_000]));
            List<IOException> failure = new ArrayList<>();
            assertEquals(4321, readAll(p.peer(), failure).length);
            assertEquals("Input/output error (injected at byte 4321)", failure.get(0).getMessage());
            assertThrows(IOException.class, () -> p.peer().read(ByteBuffer.allocate(1)), "the error stays");
        }
    }

    @Test
    void a_fault_at_byte_zero_happens_before_any_byte() throws IOException {
        InMemoryNetwork network = new InMemoryNetwork(new VirtualTimeEventLoop());
        try (InMemoryNetwork.ChannelPair p = network.openPair(FaultPlan.builder(3).eofAt(0).build(),
                FaultPlan.NONE)) {
            p.peer().configureBlocking(false);
            assertEquals(-1, p.peer().read(ByteBuffer.allocate(1)));
        }
    }

    @Test
    void of_several_byte_faults_the_earliest_wins_and_at_equal_offsets_reset_beats_error_beats_eof()
            throws IOException {
        InMemoryNetwork network = new InMemoryNetwork(new VirtualTimeEventLoop());
        FaultPlan plan = FaultPlan.builder(3).eofAt(100).errorAt(100).resetAt(200).build();
        try (InMemoryNetwork.ChannelPair p = network.openPair(plan, FaultPlan.builder(4).eofAt(50).errorAt(50)
                .resetAt(50).build())) {
            p.local().configureBlocking(false);
            p.peer().configureBlocking(false);
            p.local().write(ByteBuffer.wrap(new byte[1000]));
            List<IOException> failure = new ArrayList<>();
            assertEquals(100, readAll(p.peer(), failure).length);
            assertTrue(failure.get(0).getMessage().startsWith("Input/output error"), failure.toString());

            p.peer().write(ByteBuffer.wrap(new byte[1000]));
            failure.clear();
            assertEquals(50, readAll(p.local(), failure).length);
            assertEquals("Connection reset by peer", failure.get(0).getMessage());
        }
    }
}
