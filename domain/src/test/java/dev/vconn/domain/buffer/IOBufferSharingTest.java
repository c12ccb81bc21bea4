package dev.vconn.domain.buffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Refcounted sharing of block storage between buffers: storage goes back to the pool exactly when the last block over
 * it is dropped, whatever the order of consumes and closes; pieces under 128 bytes are copied, 128 and more shared.
 */
class IOBufferSharingTest extends BufferTestSupport {

  private static final int KB100 = 100 * 1024;

  @Test
  void hundredKilobytesSharedIntoTwoBuffersSourceClosedFirst() {
    byte[] data = pattern(KB100, 21);
    IOBuffer src = new IOBuffer(pool, 5);
    IOBuffer d1 = new IOBuffer(pool);
    IOBuffer d2 = new IOBuffer(pool);
    IOBufferReader rs = src.allocReader();
    IOBufferReader r1 = d1.allocReader();
    IOBufferReader r2 = d2.allocReader();
    src.write(data);
    assertEquals(25, pool.outstanding(), "100 KiB in 4 KiB blocks");

    d1.write(rs, KB100);
    d2.write(rs, KB100);
    assertEquals(25, pool.outstanding(), "both copies share the source's storage");
    assertEquals(25, d1.blockCount());
    assertArrayEquals(data, peekAll(r1));
    assertArrayEquals(data, peekAll(r2));

    rs.consume(KB100);
    assertEquals(1, src.blockCount(), "the source keeps only its write block");
    assertEquals(25, pool.outstanding(), "the copies still hold all the storage");
    src.close();
    assertEquals(25, pool.outstanding());

    r1.consume(KB100 / 2);
    assertEquals(13, d1.blockCount(), "d1 dropped 12 blocks");
    assertEquals(25, pool.outstanding(), "d2 still holds them");

    r2.consume(KB100);
    assertEquals(13, pool.outstanding(), "the first 12 blocks are referenced by nobody now");

    byte[] rest = new byte[KB100 / 2];
    assertEquals(rest.length, r1.read(rest, 0, rest.length));
    assertArrayEquals(slice(data, KB100 / 2, KB100), rest);
    assertEquals(1, pool.outstanding(), "both copies keep only their write block, the same storage");

    d1.close();
    assertEquals(1, pool.outstanding());
    d2.close();
    assertEquals(0, pool.outstanding());
  }

  @Test
  void hundredKilobytesSharedIntoTwoBuffersCopiesClosedFirst() {
    byte[] data = pattern(KB100, 22);
    try (IOBuffer src = new IOBuffer(pool, 5)) {
      IOBufferReader rs = src.allocReader();
      src.write(data);
      IOBuffer d1 = new IOBuffer(pool);
      IOBuffer d2 = new IOBuffer(pool);
      IOBufferReader r1 = d1.allocReader();
      IOBufferReader r2 = d2.allocReader();
      d1.write(rs, KB100);
      d2.write(rs, KB100 - 4096, 4096);
      assertEquals(25, pool.outstanding());
      assertArrayEquals(slice(data, 4096, KB100), peekAll(r2));

      d2.close();
      assertEquals(25, pool.outstanding());
      r1.consume(KB100);
      d1.close();
      assertEquals(25, pool.outstanding(), "the source still holds everything");

      rs.consume(10 * 4096);
      assertEquals(15, pool.outstanding());
      rs.consume(KB100 - 10 * 4096);
      assertEquals(1, pool.outstanding());
    }
    assertEquals(0, pool.outstanding());
  }

  @Test
  void freeingTheOnlyReaderOfACopyReleasesItsShare() {
    byte[] data = pattern(8 * 4096, 23);
    try (IOBuffer src = new IOBuffer(pool, 5); IOBuffer dst = new IOBuffer(pool)) {
      IOBufferReader rs = src.allocReader();
      IOBufferReader rd = dst.allocReader();
      src.write(data);
      dst.write(rs, data.length);
      rs.consume(data.length);
      assertEquals(8, pool.outstanding());
      rd.free();
      assertEquals(1, pool.outstanding(), "nothing but the write blocks (one shared storage) is kept");
      assertEquals(1, dst.blockCount());
    }
  }

  @Test
  void piecesUnder128BytesAreCopiedAndOf128Shared() {
    try (IOBuffer src = new IOBuffer(pool, 0); IOBuffer dst = new IOBuffer(pool, 5)) {
      IOBufferReader rs = src.allocReader();
      IOBufferReader rd = dst.allocReader();
      byte[] data = pattern(3 * 128, 24);
      src.write(data);
      assertEquals(3, pool.outstanding(0));

      // Exactly 128 bytes: one whole block, shared.
      dst.write(rs, 128);
      assertEquals(3, pool.outstanding(), "a 128-byte piece is shared");
      assertEquals(0, pool.outstanding(5));

      // 127 bytes: copied into the destination's own block.
      dst.write(rs, 127, 128);
      assertEquals(4, pool.outstanding(), "a 127-byte piece is copied into the destination's own block");
      assertEquals(1, pool.outstanding(5));

      // 128 bytes across a block boundary: two pieces of 64, both copied into the same destination block.
      dst.write(rs, 128, 64);
      assertEquals(4, pool.outstanding());

      // After a shared piece, small copies go to a fresh destination block (the shared one is read-only).
      dst.write(rs, 128, 256);
      assertEquals(4, pool.outstanding());
      dst.write(rs, 1, 0);
      assertEquals(5, pool.outstanding(), "a shared block is read-only: the next copy needs a fresh block");
      assertEquals(2, pool.outstanding(5));

      byte[] expected = new byte[128 + 127 + 128 + 128 + 1];
      int at = 0;
      for (int[] piece : new int[][] {{0, 128}, {128, 255}, {64, 192}, {256, 384}, {0, 1}}) {
        byte[] s = slice(data, piece[0], piece[1]);
        System.arraycopy(s, 0, expected, at, s.length);
        at += s.length;
      }
      assertArrayEquals(expected, peekAll(rd));
      assertEquals(data.length, rs.readAvail());
    }
  }

  @Test
  void sharedBlockLeavesFreeSpaceAfterTheWriteBlockUsable() {
    try (IOBuffer src = new IOBuffer(pool, 1); IOBuffer dst = new IOBuffer(pool, 1)) {
      IOBufferReader rs = src.allocReader();
      IOBufferReader rd = dst.allocReader();
      dst.setWaterMark(1024);
      dst.write(pattern(100, 1));
      assertEquals(156 + 256, dst.writeAvail(), "one block added below the water mark");
      src.write(pattern(200, 2));
      dst.write(rs, 200);
      assertEquals(256, dst.currentWriteAvail(), "the partly written block is sealed; the added block remains");
      assertEquals(256, dst.blockWriteAvail());
      dst.write(pattern(10, 3));
      assertEquals(3, pool.outstanding(), "the small write went to the added block");
      byte[] expected = new byte[310];
      System.arraycopy(pattern(100, 1), 0, expected, 0, 100);
      System.arraycopy(pattern(200, 2), 0, expected, 100, 200);
      System.arraycopy(pattern(10, 3), 0, expected, 300, 10);
      assertArrayEquals(expected, peekAll(rd));
      byte[] all = new byte[310];
      assertEquals(310, rd.read(all, 0, 310));
      assertArrayEquals(expected, all);
      assertEquals(2, pool.outstanding(), "dst keeps its write block; src its block");
    }
  }

  @Test
  void copyingABufferIntoItself() {
    try (IOBuffer b = new IOBuffer(pool, 1)) {
      IOBufferReader r = b.allocReader();
      byte[] data = pattern(300, 5);
      b.write(data);
      b.write(r, 300);
      assertEquals(600, r.readAvail());
      byte[] all = peekAll(r);
      assertArrayEquals(data, slice(all, 0, 300));
      assertArrayEquals(data, slice(all, 300, 600));
      assertEquals(3, pool.outstanding(),
          "the 256-byte piece is shared; the 44-byte piece is copied into a fresh block after the read-only one");
    }
  }

  @Test
  void sharedStorageOutlivesItsPool() {
    BlockPool other = new BlockPool();
    IOBuffer src = new IOBuffer(other, 3);
    try (IOBuffer dst = new IOBuffer(pool, 3)) {
      IOBufferReader rs = src.allocReader();
      IOBufferReader rd = dst.allocReader();
      src.write(pattern(1024, 6));
      dst.write(rs, 1024);
      src.close();
      assertEquals(1, other.outstanding(), "storage goes back to its own pool, when dst drops it");
      assertEquals(0, pool.outstanding());
      rd.consume(1000);
      assertEquals(1, other.outstanding());
    }
    assertEquals(0, other.outstanding());
  }
}
