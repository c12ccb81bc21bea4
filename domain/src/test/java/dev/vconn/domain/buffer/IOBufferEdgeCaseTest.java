package dev.vconn.domain.buffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Traffic Server statements 40–44 (docs/semantics.md): the IOBuffer family's failure modes and edge cases. */
class IOBufferEdgeCaseTest extends BufferTestSupport {

  @Test
  void consumeBeyondReadAvailThrowsAndChangesNothing() {
    try (IOBuffer b = new IOBuffer(pool, 0)) {
      IOBufferReader r = b.allocReader();
      byte[] data = pattern(300, 7);
      b.write(data);
      r.consume(20);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.consume(281));
      assertEquals("consume(281) exceeds readAvail 280 (a reader consumes at most what it can read)", e.getMessage());
      assertEquals(280, r.readAvail());
      assertArrayEquals(slice(data, 20, 300), peekAll(r));
      assertEquals(3, pool.outstanding());

      assertThrows(IllegalArgumentException.class, () -> r.consume(-1));
      assertEquals(280, r.readAvail());
      r.consume(280);
      assertThrows(IllegalArgumentException.class, () -> r.consume(1));
      r.consume(0);
    }
  }

  @Test
  void consumeOnABlocklessBuffer() {
    try (IOBuffer b = new IOBuffer(pool)) {
      IOBufferReader r = b.allocReader();
      r.consume(0);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.consume(1));
      assertEquals("consume(1) exceeds readAvail 0 (a reader consumes at most what it can read)", e.getMessage());
    }
  }

  @Test
  void sixthReaderThrows() {
    try (IOBuffer b = new IOBuffer(pool)) {
      List<IOBufferReader> rs = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        rs.add(b.allocReader());
      }
      assertEquals(5, b.readerCount());
      IllegalStateException e = assertThrows(IllegalStateException.class, b::allocReader);
      assertEquals("an IOBuffer has at most 5 readers (docs/semantics.md, rule 4.3); free one first", e.getMessage());
      IllegalStateException c = assertThrows(IllegalStateException.class, () -> rs.get(0).cloneReader());
      assertEquals(e.getMessage(), c.getMessage());
      assertEquals(5, b.readerCount());

      rs.get(2).free();
      assertEquals(4, b.readerCount());
      IOBufferReader again = b.allocReader();
      assertEquals(5, b.readerCount());
      again.free();
      rs.get(0).cloneReader();
      assertEquals(5, b.readerCount());
    }
  }

  @Test
  void sizeIndexOutOfRangeThrowsNamingTheField() {
    IllegalArgumentException hi = assertThrows(IllegalArgumentException.class, () -> new IOBuffer(pool, 15));
    assertEquals("sizeIndex must be in 0..14, was 15", hi.getMessage());
    IllegalArgumentException lo = assertThrows(IllegalArgumentException.class, () -> new IOBuffer(pool, -1));
    assertEquals("sizeIndex must be in 0..14, was -1", lo.getMessage());
    try (IOBuffer b = new IOBuffer(pool, 14)) {
      assertEquals(2 << 20, b.blockSize());
    }
    try (IOBuffer b = new IOBuffer(pool, 0)) {
      assertEquals(128, b.blockSize());
    }
  }

  @Test
  void negativeWaterMarkThrows() {
    try (IOBuffer b = new IOBuffer(pool)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.setWaterMark(-1));
      assertEquals("waterMark must be >= 0, was -1", e.getMessage());
      assertEquals(0, b.waterMark());
    }
  }

  @Test
  void writeOfAnyLengthTakesEverythingBeyondTheWaterMark() {
    try (IOBuffer b = new IOBuffer(pool)) {
      IOBufferReader r = b.allocReader();
      assertEquals(0, b.waterMark());
      byte[] mib = pattern(1 << 20, 9);
      assertEquals(1 << 20, b.write(mib));
      assertEquals(1 << 20, r.readAvail());
      assertEquals(32, pool.outstanding(), "32 blocks of 32 KiB, far beyond water mark 0");
      assertTrue(b.highWater());
      assertEquals(0, b.writeAvail());
      assertArrayEquals(mib, peekAll(r));
    }
  }

  @Test
  void copyDoesNotConsumeAndSharesStorage() {
    try (IOBuffer src = new IOBuffer(pool, 5); IOBuffer dst = new IOBuffer(pool)) {
      IOBufferReader rs = src.allocReader();
      IOBufferReader rd = dst.allocReader();
      byte[] data = pattern(3 * 4096, 11);
      src.write(data);
      assertEquals(3, pool.outstanding());

      assertEquals(data.length, dst.write(rs, data.length));
      assertEquals(data.length, rs.readAvail(), "the source reader is not consumed");
      assertEquals(3, pool.outstanding(), "the destination shares the three blocks: no new storage");
      assertEquals(0, pool.outstanding(BufferSizes.DEFAULT_INDEX));
      assertArrayEquals(data, peekAll(rd));
      assertArrayEquals(data, peekAll(rs));

      // With an offset, also by reference.
      dst.write(rs, 4096, 4096);
      assertEquals(3, pool.outstanding());
      assertEquals(data.length + 4096, rd.readAvail());
      byte[] tail = new byte[4096];
      rd.copyTo(tail, 0, 4096, data.length);
      assertArrayEquals(slice(data, 4096, 8192), tail);
    }
  }

  @Test
  void copyBeyondTheSourceThrows() {
    try (IOBuffer src = new IOBuffer(pool); IOBuffer dst = new IOBuffer(pool)) {
      IOBufferReader rs = src.allocReader();
      src.write(pattern(100, 1));
      assertThrows(IllegalArgumentException.class, () -> dst.write(rs, 101));
      assertThrows(IllegalArgumentException.class, () -> dst.write(rs, 50, 51));
      assertThrows(IllegalArgumentException.class, () -> dst.write(rs, -1));
      assertThrows(IllegalArgumentException.class, () -> dst.write(rs, 1, -1));
      assertEquals(0, dst.write(rs, 0, 100));
      assertEquals(1, pool.outstanding(), "nothing was added to the destination");
    }
  }

  @Test
  void readerAllocatedAfterWritingSeesOnlyTheWriteBlock() {
    try (IOBuffer b = new IOBuffer(pool, 5)) {
      byte[] data = pattern(5000, 13);
      b.write(data);
      assertEquals(1, pool.outstanding(), "no reader kept the first block");
      IOBufferReader late = b.allocReader();
      assertEquals(5000 - 4096, late.readAvail());
      assertArrayEquals(slice(data, 4096, 5000), peekAll(late));
    }
    try (IOBuffer b = new IOBuffer(pool, 5)) {
      IOBufferReader early = b.allocReader();
      byte[] data = pattern(5000, 14);
      b.write(data);
      IOBufferReader late = b.allocReader();
      assertEquals(5000, early.readAvail());
      assertEquals(904, late.readAvail());
      assertEquals(5000, b.maxReadAvail());
      assertEquals(2, pool.outstanding());
      assertArrayEquals(slice(data, 4096, 5000), peekAll(late));
      early.free();
      assertEquals(1, pool.outstanding(), "the block only the freed reader kept is released");
    }
  }

  @Test
  void readerAllocatedBeforeTheFirstBlockStartsAtIt() {
    try (IOBuffer b = new IOBuffer(pool, 0)) {
      IOBufferReader r = b.allocReader();
      IOBufferReader c = r.cloneReader();
      byte[] data = pattern(1000, 15);
      b.write(data);
      assertArrayEquals(data, peekAll(r));
      assertArrayEquals(data, peekAll(c));
    }
  }
}
