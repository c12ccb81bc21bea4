package dev.vconn.ports.contract;

import static dev.vconn.domain.Event.READ_COMPLETE;
import static dev.vconn.domain.Event.READ_READY;
import static dev.vconn.ports.contract.Streams.KIB;
import static dev.vconn.ports.contract.Streams.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vconn.domain.buffer.IOBuffer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

/**
 * Backpressure is hard, on socket VConns made by the transport.
 *
 * <ul>
 *   <li>rule 3.5: a transport never puts more than {@code max(W, B)} unconsumed bytes into a reader's buffer
 *       ({@code B} the buffer's block size, {@code W} its water mark; the in-process pair applies the same rule,
 *       {@code HttpConnectorContract}), and then stops <b>silently</b> — no event to either side — until the reader
 *       consumes and reenables (Traffic Server statements 14–15).</li>
 *   <li>rule 3.5: consuming inside READ_READY keeps the data flowing without a reenable (statement 29).</li>
 *   <li>rules 4.2 and 3.5 for the writer: a writer whose peer does not read is held — its {@code ndone} stops
 *       growing — and the transport queues nothing without bound behind it: {@code ndone} minus what the peer
 *       received stays below {@link #IN_FLIGHT_BOUND} (kernel socket buffers are real, so the bound is generous);
 *       the writer resumes when the peer reads.</li>
 * </ul>
 */
public abstract class BackpressureContract extends TransportContract {
    /** The most bytes a transport may hold between a writer's ndone and its peer's reader (socket buffers). */
    protected static final long IN_FLIGHT_BOUND = 16 * MIB;
    private static final BytePattern UP = new BytePattern(31);

    @Test
    void a_non_consuming_reader_with_32_kib_blocks_gets_exactly_32_kib_and_both_sides_go_silent() throws Exception {
        assertBoundedAndSilent(8, 0, 32 * KIB);
    }

    @Test
    void a_non_consuming_reader_with_2_kib_blocks_gets_exactly_2_kib() throws Exception {
        assertBoundedAndSilent(4, 0, 2 * KIB);
    }

    @Test
    void a_water_mark_of_100_kib_lets_exactly_100_kib_through_to_a_non_consuming_reader() throws Exception {
        assertBoundedAndSilent(8, 100 * KIB, 100 * KIB);
    }

    @Test
    void a_water_mark_above_a_small_block_size_is_the_bound() throws Exception {
        assertBoundedAndSilent(4, 10 * KIB, 10 * KIB);
    }

    @Test
    void a_water_mark_below_the_block_size_leaves_the_block_size_as_the_bound() throws Exception {
        assertBoundedAndSilent(8, 1 * KIB, 32 * KIB);
    }

    /**
     * The peer sends well past the bound into a read that never consumes: the reader gets exactly {@code bound}
     * bytes (never more at any callback), then neither side hears anything, and the bytes are the stream's first.
     */
    private void assertBoundedAndSilent(int sizeIndex, long waterMark, long bound) throws Exception {
        Connected c = connected();
        IOBuffer in = buffer(sizeIndex);
        in.setWaterMark(waterMark);
        AtomicLong maxSeen = new AtomicLong();
        Reading reading = postRead(c.server(), Long.MAX_VALUE, in);
        reading.recorder().onEvent((e, d) -> maxSeen.accumulateAndGet(reading.reader().readAvail(), Math::max));
        long total = 2 * bound + 256 * KIB;
        Streams.Sender sender = tracked(new Streams.Sender(buffer(), UP, total));
        sender.start(c.client(), total);

        await("the reader to fill to " + bound, () -> reading.vio().ndone() >= bound || sender.failure() != null);
        settle();
        long readerEvents = reading.recorder().count();
        long writerEvents = sender.total();
        long writerDone = sender.ndone();
        settle();

        assertEquals(bound, reading.vio().ndone(), "docs/semantics.md, rule 3.5: exactly the bound, never more");
        assertEquals(bound, reading.readAvail());
        assertTrue(maxSeen.get() <= bound, "never more than the bound at any callback: " + maxSeen.get());
        assertTrue(reading.recorder().events().stream().allMatch(e -> e == READ_READY),
                () -> "only READ_READY: " + reading.recorder().events());
        assertEquals(readerEvents, reading.recorder().count(), "the reader hears nothing more: silent stop");
        assertEquals(writerEvents, sender.total(), "the writer hears nothing more while the reader is full");
        assertEquals(writerDone, sender.ndone(), "and its ndone does not move");
        assertNull(sender.failure());
        assertEquals(bound, locked(reading.recorder().continuation(), () -> UP.peekAndCheck(reading.reader(), 0)),
                "the first bytes of the stream, in order");
        sender.stop();
    }

    /**
     * A water mark of several blocks lets a transport fill more than one block per read (the Netty adapter stages
     * reads in 64 KiB blocks then): the read still stops at exactly {@code nbytes}, never above the mark at any
     * callback, and the bytes the transport took beyond {@code nbytes} go, in order, to the next read.
     */
    @Test
    void a_read_that_spans_blocks_stops_at_exactly_nbytes_under_the_water_mark_and_the_rest_goes_to_the_next_read()
            throws Exception {
        Connected c = connected();
        long mark = 200 * KIB;
        long nbytes = 150 * KIB + 1; // not a multiple of any block size
        long total = 300 * KIB;
        IOBuffer in = buffer(8);
        in.setWaterMark(mark);
        AtomicLong maxSeen = new AtomicLong();
        Reading first = postRead(c.server(), nbytes, in);
        first.recorder().onEvent((e, d) -> maxSeen.accumulateAndGet(first.reader().readAvail(), Math::max));
        Streams.Sender sender = tracked(new Streams.Sender(buffer(), UP, total));
        sender.start(c.client(), total);

        await("READ_COMPLETE of the first read", () -> first.recorder().saw(READ_COMPLETE) || sender.failure() != null);
        settle();
        assertEquals(nbytes, first.vio().ndone(), "docs/semantics.md, rule 3.3: exactly nbytes");
        assertEquals(nbytes, first.readAvail(), "nothing past nbytes in the reader's buffer");
        assertTrue(maxSeen.get() <= mark, "never above the water mark at any callback: " + maxSeen.get());
        assertReadyThenComplete(first.recorder().entries(), READ_READY, READ_COMPLETE, nbytes);
        assertEquals(nbytes, first.drain(UP, 0), "the stream's first bytes, in order");

        long restBytes = total - nbytes;
        Reading rest = postRead(c.server(), restBytes, buffer(8));
        long got = 0;
        while (got < restBytes) {
            long before = got;
            await("the rest of the stream past " + got, () -> rest.vio().ndone() > before);
            got += rest.drain(UP, nbytes + got); // checks each byte against the stream from offset nbytes
            rest.vio().reenable();
        }
        await("READ_COMPLETE of the second read", () -> rest.recorder().saw(READ_COMPLETE));
        assertEquals(restBytes, got, "every byte after nbytes, in order, none lost or repeated");
        assertEquals(restBytes, rest.vio().ndone());
        await("WRITE_COMPLETE", sender::finished);
        assertTrue(sender.completed());
    }

    @Test
    void consuming_and_reenabling_resumes_and_every_stop_is_at_the_bound() throws Exception {
        Connected c = connected();
        long bound = 32 * KIB;
        long total = 256 * KIB;
        Reading reading = postRead(c.server(), total, buffer(8));
        Streams.Sender sender = tracked(new Streams.Sender(buffer(), UP, total));
        sender.start(c.client(), total);

        long consumed = 0;
        int round = 0;
        while (consumed < total) {
            long target = Math.min(total, consumed + bound);
            await("round " + round + ": the reader to reach " + target, () -> reading.vio().ndone() >= target);
            if (round == 0) {
                settle();
            }
            assertEquals(target, reading.vio().ndone(), "round " + round + ": stopped exactly at the bound");
            assertEquals(target - consumed, reading.readAvail());
            consumed += reading.drain(UP, consumed);
            reading.vio().reenable();
            round++;
        }
        await("READ_COMPLETE", () -> reading.recorder().saw(READ_COMPLETE));
        assertEquals(total, consumed);
        assertEquals(8, round, "one stop per 32 KiB");
        assertReadyThenComplete(reading.recorder().entries(), READ_READY, READ_COMPLETE, total);
        await("WRITE_COMPLETE", sender::finished);
        assertTrue(sender.completed());
    }

    @Test
    void consuming_inside_read_ready_keeps_the_data_flowing_without_a_reenable() throws Exception {
        Connected c = connected();
        long total = 4 * MIB;
        Streams.Receiver receiver = tracked(new Streams.Receiver(buffer(4), UP));
        receiver.start(c.server(), total);
        Streams.Sender sender = tracked(new Streams.Sender(buffer(), UP, total));
        sender.start(c.client(), total);
        await("4 MiB through a 2 KiB reader that never reenables",
                () -> (receiver.finished() && sender.finished()) || receiver.failure() != null);
        assertNull(receiver.failure());
        assertEquals(total, receiver.received());
        assertEquals(1, receiver.count(READ_COMPLETE));
        assertTrue(receiver.maxUnconsumed() <= 2 * KIB, "bounded by the block size: " + receiver.maxUnconsumed());
        assertTrue(sender.completed());
    }

    @Test
    void a_writer_whose_peer_does_not_read_is_held_without_unbounded_queuing_and_resumes_when_the_peer_reads()
            throws Exception {
        Connected c = connected();
        // A finite stream, larger than any socket buffer, so that every wait ends with the loop idle.
        long total = 2 * IN_FLIGHT_BOUND;
        AtomicLong maxInFlight = new AtomicLong();
        AtomicReference<Streams.Receiver> peer = new AtomicReference<>();
        Streams.Sender sender = tracked(new Streams.Sender(buffer(), UP, total));
        sender.onEvent((e, d) -> {
            Streams.Receiver r = peer.get();
            long inFlight = sender.ndone() - (r == null ? 0 : r.ndone());
            maxInFlight.accumulateAndGet(inFlight, Math::max);
        });
        sender.start(c.client(), total);

        long held = awaitStable("the writer to be held while the peer does not read", sender::ndone);
        assertTrue(held < total, "the writer is held short of its total");
        long events = sender.total();
        settle();
        assertEquals(events, sender.total(), "a held writer hears nothing");
        assertEquals(held, sender.ndone());
        assertNull(sender.failure());

        Streams.Receiver receiver = tracked(new Streams.Receiver(buffer(), UP));
        peer.set(receiver);
        receiver.start(c.server(), total);
        await("the writer to resume once the peer reads, to the end",
                () -> (sender.finished() && receiver.finished()) || receiver.failure() != null);
        assertNull(receiver.failure());
        assertNull(sender.failure());
        assertTrue(sender.completed());
        assertEquals(total, receiver.received(), "every byte, in order");
        assertTrue(maxInFlight.get() < IN_FLIGHT_BOUND,
                "bytes between writer and reader stayed bounded: at most " + maxInFlight.get());
    }

    /**
     * Waits until {@code value} stops changing over a 200 ms window of the transport's clock, failing if it exceeds
     * {@link #IN_FLIGHT_BOUND} (a transport that queues without bound never stops).
     */
    private long awaitStable(String what, LongSupplier value) {
        long previous = -1;
        for (int i = 0; i < 100; i++) {
            clockPasses(Duration.ofMillis(200));
            long now = value.getAsLong();
            if (now > IN_FLIGHT_BOUND) {
                fail(what + ": " + now + " bytes taken with nobody reading; the transport queues without bound");
            }
            if (now == previous) {
                return now;
            }
            previous = now;
        }
        fail(what + ": still moving after 100 windows");
        return -1;
    }
}
