package dev.vconn.domain.buffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Random writes (byte arrays, ByteBuffers, in place, by reference from another buffer) and random consumes over one
 * to five readers, checked after every step against a plain byte-array model. Each iteration has its own seed, shown
 * in any failure; {@code -Dvconn.buffer.seed=N} changes the first one.
 */
class IOBufferRandomizedTest extends BufferTestSupport {

  private static final int ITERATIONS = 200;
  private static final int OPS = 150;

  /** Everything ever written to one buffer, and each reader's stream position in it. */
  private static final class Model {
    byte[] data = new byte[1024];
    int len;
    final List<IOBufferReader> readers = new ArrayList<>();
    final List<Long> pos = new ArrayList<>();

    void append(byte[] b, int off, int n) {
      if (len + n > data.length) {
        data = Arrays.copyOf(data, Math.max(data.length * 2, len + n));
      }
      System.arraycopy(b, off, data, len, n);
      len += n;
    }

    byte[] range(long from, long n) {
      return Arrays.copyOfRange(data, (int) from, (int) (from + n));
    }
  }

  @Test
  void randomOperationsMatchTheModel() {
    long base = Long.getLong("vconn.buffer.seed", 20_240_601L);
    for (int i = 0; i < ITERATIONS; i++) {
      long seed = base + i;
      try {
        runOnce(seed);
        assertEquals(0, pool.outstanding(), () -> "storage not returned: " + pool);
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError("seed=" + seed + " (rerun with -Dvconn.buffer.seed=" + seed + "): " + e, e);
      }
    }
  }

  private void runOnce(long seed) {
    Random rnd = new Random(seed);
    try (IOBuffer a = new IOBuffer(pool, rnd.nextInt(4)); IOBuffer s = new IOBuffer(pool, rnd.nextInt(4))) {
      a.setWaterMark(rnd.nextInt(3) * 300L);
      Model ma = new Model();
      int readers = 1 + rnd.nextInt(5);
      for (int i = 0; i < readers; i++) {
        ma.readers.add(a.allocReader());
        ma.pos.add(0L);
      }
      Model ms = new Model();
      ms.readers.add(s.allocReader());
      ms.pos.add(0L);
      int salt = 0;

      for (int op = 0; op < OPS; op++) {
        int blk = a.blockSize();
        String at = "op " + op;
        switch (rnd.nextInt(11)) {
          case 0, 1 -> { // write byte[]
            byte[] b = pattern(rnd.nextInt(3 * blk + 1), ++salt);
            int off = b.length == 0 ? 0 : rnd.nextInt(b.length);
            int n = b.length - off;
            assertEquals(n, a.write(b, off, n), at);
            ma.append(b, off, n);
          }
          case 2 -> { // write ByteBuffer, direct or heap
            byte[] b = pattern(rnd.nextInt(2 * blk + 1), ++salt);
            ByteBuffer bb = rnd.nextBoolean() ? ByteBuffer.allocateDirect(b.length) : ByteBuffer.allocate(b.length);
            bb.put(b).flip();
            assertEquals(b.length, a.write(bb), at);
            assertEquals(0, bb.remaining(), at);
            ma.append(b, 0, b.length);
          }
          case 3 -> { // in place
            ByteBuffer v = a.writableBuffer();
            assertEquals(a.blockWriteAvail(), v.remaining(), at);
            assertTrue(v.remaining() > 0, at);
            byte[] b = pattern(rnd.nextInt(v.remaining() + 1), ++salt);
            v.put(b);
            a.fill(b.length);
            ma.append(b, 0, b.length);
          }
          case 4 -> { // space queries, with a water mark change now and then
            if (rnd.nextInt(4) == 0) {
              a.setWaterMark(rnd.nextInt(4) * 200L);
            }
            boolean high = a.highWater();
            boolean low = a.currentLowWater();
            long before = a.currentWriteAvail();
            // check_add_block: one block, only if !highWater && currentLowWater and none follows the writer.
            boolean adds = !high && low && (a.writer == null || a.writer.next == null);
            assertEquals(before + (adds ? blk : 0), a.writeAvail(), at + ": writeAvail");
            assertEquals(before + (adds ? blk : 0), a.currentWriteAvail(), at);
            long max = 0;
            for (int i = 0; i < ma.readers.size(); i++) {
              max = Math.max(max, ma.len - ma.pos.get(i));
            }
            if (!ma.readers.isEmpty()) {
              assertEquals(max, a.maxReadAvail(), at);
            }
          }
          case 5 -> { // feed the source buffer and consume some of it
            byte[] b = pattern(rnd.nextInt(4 * s.blockSize() + 1), ++salt);
            s.write(b);
            ms.append(b, 0, b.length);
            IOBufferReader rs = ms.readers.get(0);
            long c = rnd.nextInt((int) rs.readAvail() / 2 + 1);
            rs.consume(c);
            ms.pos.set(0, ms.pos.get(0) + c);
          }
          case 6, 7 -> { // copy from the source by reference (small pieces copied)
            IOBufferReader rs = ms.readers.get(0);
            long avail = rs.readAvail();
            long offset = avail == 0 ? 0 : rnd.nextInt((int) avail + 1);
            long len = rnd.nextInt((int) (avail - offset) + 1);
            long outstanding = pool.outstanding();
            assertEquals(len, a.write(rs, len, offset), at);
            assertEquals(avail, rs.readAvail(), at + ": the source is not consumed");
            byte[] piece = ms.range(ms.pos.get(0) + offset, len);
            ma.append(piece, 0, piece.length);
            // Shared pieces add no storage; each small piece adds at most one block.
            assertTrue(pool.outstanding() - outstanding <= len / s.blockSize() + 2, at);
          }
          case 8 -> { // consume, or read and compare
            if (ma.readers.isEmpty()) {
              break;
            }
            int i = rnd.nextInt(ma.readers.size());
            IOBufferReader r = ma.readers.get(i);
            long avail = r.readAvail();
            long n = rnd.nextInt(3) == 0 ? avail : rnd.nextInt((int) avail + 1);
            long p = ma.pos.get(i);
            switch (rnd.nextInt(3)) {
              case 0 -> r.consume(n);
              case 1 -> {
                byte[] got = new byte[(int) n + 3];
                assertEquals(n, r.read(got, 3, (int) n), at);
                assertArrayEquals(ma.range(p, n), Arrays.copyOfRange(got, 3, 3 + (int) n), at);
              }
              default -> {
                ByteBuffer got = ByteBuffer.allocate((int) n);
                assertEquals(n, r.read(got), at);
                assertArrayEquals(ma.range(p, n), got.array(), at);
              }
            }
            ma.pos.set(i, p + n);
          }
          case 9 -> { // gather views, then consume part of them
            if (ma.readers.isEmpty()) {
              break;
            }
            int i = rnd.nextInt(ma.readers.size());
            IOBufferReader r = ma.readers.get(i);
            ByteBuffer[] views = new ByteBuffer[1 + rnd.nextInt(4)];
            long max = rnd.nextInt(4 * blk + 1);
            int count = r.readableBuffers(views, max);
            long p = ma.pos.get(i);
            long seen = 0;
            for (int k = 0; k < count; k++) {
              byte[] got = new byte[views[k].remaining()];
              assertTrue(got.length > 0, at);
              views[k].get(got);
              assertArrayEquals(ma.range(p + seen, got.length), got, at);
              seen += got.length;
            }
            assertTrue(seen <= max && seen <= r.readAvail(), at);
            long take = seen == 0 ? 0 : rnd.nextInt((int) seen + 1);
            r.consume(take);
            ma.pos.set(i, p + take);
          }
          default -> { // reader churn: free, clone, or allocate late
            int choice = rnd.nextInt(3);
            if (choice == 0 && !ma.readers.isEmpty()) {
              int i = rnd.nextInt(ma.readers.size());
              ma.readers.remove(i).free();
              ma.pos.remove(i);
            } else if (choice == 1 && !ma.readers.isEmpty() && ma.readers.size() < 5) {
              int i = rnd.nextInt(ma.readers.size());
              ma.readers.add(ma.readers.get(i).cloneReader());
              ma.pos.add(ma.pos.get(i));
            } else if (ma.readers.size() < 5) {
              IOBufferReader r = a.allocReader();
              long avail = r.readAvail();
              assertTrue(avail <= ma.len, at);
              assertEquals(a.writer == null ? 0 : a.writer.readAvail(), avail, at + ": only the write block is visible");
              ma.readers.add(r);
              ma.pos.add(ma.len - avail);
            }
            assertEquals(ma.readers.size(), a.readerCount(), at);
          }
        }
        verify(ma, rnd, at);
        verify(ms, rnd, at + " (source)");
      }
      for (IOBufferReader r : ma.readers) {
        assertArrayEquals(ma.range(ma.pos.get(ma.readers.indexOf(r)), r.readAvail()), peekAll(r));
      }
    }
  }

  private static void verify(Model m, Random rnd, String at) {
    for (int i = 0; i < m.readers.size(); i++) {
      IOBufferReader r = m.readers.get(i);
      long p = m.pos.get(i);
      long avail = m.len - p;
      assertEquals(avail, r.readAvail(), at + ": readAvail of reader " + i);
      if (avail > 0) {
        long off = rnd.nextInt((int) avail);
        assertEquals(m.data[(int) (p + off)], r.byteAt(off), at + ": byteAt " + off);
        int n = rnd.nextInt((int) (avail - off) + 1);
        byte[] got = new byte[n];
        assertEquals(n, r.copyTo(got, 0, n, off), at);
        assertArrayEquals(m.range(p + off, n), got, at + ": copyTo");
      }
    }
  }
}
