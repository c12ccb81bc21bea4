package dev.vconn.ports.contract;

import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;

/**
 * A rolling byte pattern, as in Traffic Server's {@code NetVCTest}: the byte at stream offset
 * {@code i} depends on the offset and a per-stream seed, so a lost, duplicated, reordered or foreign byte is caught
 * at its exact offset. Two streams with different seeds never look alike, so crossed directions are caught too.
 *
 * <p>Immutable and thread-safe.
 */
public final class BytePattern {
    private static final int CHUNK = 16 * 1024;
    /** Offsets below this are served from a table made on first use (the HTTP tests write many short bodies). */
    private static final int CACHED = 256 * 1024;
    private final int seed;
    private volatile byte[] cache;

    /** A pattern for one stream. */
    public BytePattern(int seed) {
        this.seed = seed;
    }

    /** The seed. */
    public int seed() {
        return seed;
    }

    /** The byte at stream offset {@code offset}. */
    public byte at(long offset) {
        long x = offset * 0x9E3779B1L + seed * 0x85EBCA6BL;
        return (byte) (x ^ (x >>> 13) ^ (offset >>> 8) ^ (offset >>> 17));
    }

    private byte[] cache() {
        byte[] c = cache;
        if (c == null) {
            c = new byte[CACHED];
            for (int i = 0; i < CACHED; i++) {
                c[i] = at(i);
            }
            cache = c;
        }
        return c;
    }

    private static boolean cached(long from, long count) {
        return from >= 0 && from + count <= CACHED;
    }

    /** {@code count} pattern bytes starting at stream offset {@code from}. */
    public byte[] bytes(long from, int count) {
        if (cached(from, count)) {
            return java.util.Arrays.copyOfRange(cache(), (int) from, (int) from + count);
        }
        byte[] b = new byte[count];
        for (int i = 0; i < count; i++) {
            b[i] = at(from + i);
        }
        return b;
    }

    /** Appends {@code count} pattern bytes starting at stream offset {@code from} to {@code buffer}. */
    public void write(IOBuffer buffer, long from, long count) {
        if (cached(from, count)) {
            buffer.write(cache(), (int) from, (int) count);
            return;
        }
        byte[] chunk = new byte[(int) Math.min(count, CHUNK)];
        long offset = from;
        long left = count;
        while (left > 0) {
            int n = (int) Math.min(left, chunk.length);
            for (int i = 0; i < n; i++) {
                chunk[i] = at(offset + i);
            }
            buffer.write(chunk, 0, n);
            offset += n;
            left -= n;
        }
    }

    /**
     * Consumes everything readable and checks it byte by byte against the pattern from stream offset {@code from}.
     *
     * @return the number of bytes consumed
     * @throws AssertionError at the first wrong byte, naming its stream offset
     */
    public long consumeAndCheck(IOBufferReader reader, long from) {
        return consumeAndCheck(reader, from, Long.MAX_VALUE);
    }

    /**
     * Consumes up to {@code max} readable bytes and checks them against the pattern from stream offset {@code from}.
     *
     * @return the number of bytes consumed
     * @throws AssertionError at the first wrong byte, naming its stream offset
     */
    public long consumeAndCheck(IOBufferReader reader, long from, long max) {
        byte[] chunk = new byte[CHUNK];
        long offset = from;
        long left = max;
        int n;
        while (left > 0 && (n = reader.read(chunk, 0, (int) Math.min(chunk.length, left))) > 0) {
            check(chunk, n, offset);
            offset += n;
            left -= n;
        }
        return offset - from;
    }

    /**
     * Checks, without consuming, that the readable bytes of {@code reader} are the pattern from {@code from}.
     *
     * @return how many bytes were checked
     */
    public long peekAndCheck(IOBufferReader reader, long from) {
        byte[] chunk = new byte[CHUNK];
        long avail = reader.readAvail();
        long done = 0;
        while (done < avail) {
            int n = (int) reader.copyTo(chunk, 0, (int) Math.min(chunk.length, avail - done), done);
            check(chunk, n, from + done);
            done += n;
        }
        return done;
    }

    /** Checks {@code n} bytes of {@code chunk} against the pattern from stream offset {@code offset}. */
    public void check(byte[] chunk, int n, long offset) {
        check(chunk, 0, n, offset);
    }

    /** Checks {@code n} bytes of {@code chunk} from {@code off} against the pattern from {@code offset} on. */
    public void check(byte[] chunk, int off, int n, long offset) {
        if (cached(offset, n)) {
            int i = java.util.Arrays.mismatch(chunk, off, off + n, cache(), (int) offset, (int) offset + n);
            if (i < 0) {
                return;
            }
        }
        for (int i = 0; i < n; i++) {
            byte want = at(offset + i);
            if (chunk[off + i] != want) {
                throw new AssertionError("stream (seed " + seed + ") byte " + (offset + i) + " is " + chunk[off + i]
                        + ", expected " + want);
            }
        }
    }
}
