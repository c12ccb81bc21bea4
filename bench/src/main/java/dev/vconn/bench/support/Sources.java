package dev.vconn.bench.support;

import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;

/** The {@link StreamRig.Source}s and {@link StreamRig.Sink}s the benchmarks use. */
public final class Sources {
    private Sources() {
    }

    /** {@code n} bytes of a fixed, non-zero pattern (so no page is left untouched or compressible by accident). */
    public static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        return b;
    }

    /**
     * Appends up to {@code size} bytes shared by reference from a buffer filled once: the zero-copy way to send
     * the same bytes again and again, as a raw socket loop writes one direct buffer again and again.
     */
    public static Shared shared(BlockPool pool, int size) {
        return new Shared(pool, size);
    }

    /** A source that shares one filled buffer's blocks; close it to give the blocks back. */
    public static final class Shared implements StreamRig.Source, AutoCloseable {
        private final IOBuffer held;
        private final IOBufferReader heldReader;

        Shared(BlockPool pool, int size) {
            held = new IOBuffer(pool);
            heldReader = held.allocReader();
            held.write(pattern(size));
        }

        @Override
        public long fill(IOBuffer out, long max) {
            long n = Math.min(max, heldReader.readAvail());
            out.write(heldReader, n);
            return n;
        }

        @Override
        public void close() {
            held.close();
        }
    }

    /** Appends {@code chunk} (or its first {@code max} bytes) by copy: an application writing a byte array. */
    public static StreamRig.Source copying(byte[] chunk) {
        return (out, max) -> {
            int n = (int) Math.min(max, chunk.length);
            out.write(chunk, 0, n);
            return n;
        };
    }

    /** Consumes without looking: the cheapest sink, as a raw socket loop clears its read buffer. */
    public static StreamRig.Sink discard() {
        return IOBufferReader::consume;
    }

    /** Copies everything into {@code dst}, wrapping around: an application reading into a byte array. */
    public static StreamRig.Sink copyingInto(byte[] dst) {
        int[] pos = {0};
        return (in, n) -> {
            long left = n;
            while (left > 0) {
                int k = (int) Math.min(left, dst.length - pos[0]);
                in.read(dst, pos[0], k);
                pos[0] = (pos[0] + k) % dst.length;
                left -= k;
            }
        };
    }
}
