package dev.vconn.domain.pair;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * What one short-lived pair allocates, as a server intercept makes one per transaction (docs/http.md, Object
 * lifetimes): the pair, its two ends, a read and a write operation, one small piece moved and both ends closed. The
 * ends keep their current operations and pass flag in fields (no atomic object each), the pair its open count, and
 * a normal close tells the peer with one shared error value.
 */
class PairAllocationTest extends PairFixture {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** Measured on this rig: about 460 bytes now, 700 before the ends dropped their atomic objects and lambdas. */
    private static final long BUDGET = 600;

    @Test
    void a_pair_that_moves_one_small_piece_and_closes_allocates_within_its_budget() {
        IOBuffer in = buffer();
        IOBufferReader inReader = in.allocReader();
        IOBuffer out = buffer();
        IOBufferReader outReader = out.allocReader();
        byte[] piece = bytes(40, 5);
        long[] received = new long[1];
        Continuation reader = new Continuation((event, data) -> {
            if (event == Event.READ_READY) {
                received[0] += inReader.readAvail();
                inReader.consume(inReader.readAvail());
            }
        });
        Continuation writer = new Continuation((event, data) -> { });
        int warm = 3000;
        int measured = 2000;
        for (int i = 0; i < warm; i++) {
            cycle(reader, writer, in, out, outReader, piece);
        }
        long before = THREADS.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < measured; i++) {
            cycle(reader, writer, in, out, outReader, piece);
        }
        long perPair = (THREADS.getCurrentThreadAllocatedBytes() - before) / measured;
        assertEquals((long) (warm + measured) * piece.length, received[0]);
        assertTrue(perPair < BUDGET, "bytes allocated per pair: " + perPair);
    }

    private void cycle(Continuation reader, Continuation writer, IOBuffer in, IOBuffer out, IOBufferReader outReader,
            byte[] piece) {
        VConnPair pair = VConnPair.open(loop, VConnPair.Options.defaults());
        pair.passive().read(reader, Long.MAX_VALUE, in);
        out.write(piece);
        pair.active().write(writer, piece.length, outReader);
        loop.runUntilIdle();
        pair.active().close();
        pair.passive().close();
        loop.runUntilIdle();
        assertTrue(pair.isFreed());
    }
}
