package dev.vconn.domain.testing;

import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;

/** A rolling byte pattern: the byte at stream offset {@code i} depends on the offset and a per-stream seed. */
public final class BytePattern {
    private final int seed;

    public BytePattern(int seed) {
        this.seed = seed;
    }

    public byte at(long offset) {
        long x = offset * 0x9E3779B1L + seed;
        return (byte) (x ^ (x >>> 13) ^ (offset >>> 8));
    }

    /** Writes {@code count} pattern bytes starting at stream offset {@code from}. */
    public void write(IOBuffer buffer, long from, int count) {
        byte[] chunk = new byte[Math.min(count, 16 * 1024)];
        long offset = from;
        int left = count;
        while (left > 0) {
            int n = Math.min(left, chunk.length);
            for (int i = 0; i < n; i++) {
                chunk[i] = at(offset + i);
            }
            buffer.write(chunk, 0, n);
            offset += n;
            left -= n;
        }
    }

    /**
     * Consumes everything readable and checks it against the pattern from stream offset {@code from}.
     *
     * @return the number of bytes consumed
     * @throws AssertionError at the first wrong byte, naming its offset
     */
    public long consumeAndCheck(IOBufferReader reader, long from) {
        byte[] chunk = new byte[16 * 1024];
        long offset = from;
        int n;
        while ((n = reader.read(chunk, 0, chunk.length)) > 0) {
            for (int i = 0; i < n; i++) {
                if (chunk[i] != at(offset + i)) {
                    throw new AssertionError("byte " + (offset + i) + " is " + chunk[i] + ", expected " + at(offset + i));
                }
            }
            offset += n;
        }
        return offset - from;
    }
}
