package dev.vconn.domain.buffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * {@link IOBuffer#writableBuffers} / {@link IOBuffer#fillBuffers} (one scattering read over several blocks) and
 * {@link IOBufferReader#exclusiveBlockBuffer} (bytes transformed where they lie, only when nobody else sees them).
 */
class IOBufferScatterAndInPlaceTest extends BufferTestSupport {

  @Test
  void aScatteringWriteSpansBlocksInOrderAndGivesBackTheBlocksItDidNotReach() {
    IOBuffer b = new IOBuffer(pool, 0); // 128 B blocks
    IOBufferReader r = b.allocReader();
    b.write(pattern(100, 1));
    ByteBuffer[] views = new ByteBuffer[8];
    int count = b.writableBuffers(views, 500);
    assertEquals(5, count, "28 B left in the write block, then 128 B blocks up to 500 B");
    assertEquals(28, views[0].remaining());
    assertEquals(500, total(views, count));
    assertEquals(5, pool.outstanding());

    byte[] data = pattern(200, 2); // reaches the third view only
    int off = 0;
    for (int i = 0; i < count && off < data.length; i++) {
      int n = Math.min(views[i].remaining(), data.length - off);
      views[i].put(data, off, n);
      off += n;
    }
    b.fillBuffers(200);
    assertEquals(300, r.readAvail());
    assertArrayEquals(pattern(100, 1), slice(peekAll(r), 0, 100));
    assertArrayEquals(data, slice(peekAll(r), 100, 300));
    assertEquals(3, pool.outstanding(), "the two blocks the bytes did not reach went back to the pool");

    r.consume(300);
    b.write(pattern(50, 3));
    assertArrayEquals(pattern(50, 3), peekAll(r), "writing goes on after the scattered bytes");
    r.consume(50);
    b.close();
  }

  @Test
  void aScatteringWriteThatTookNothingHoldsNoMoreBlocksThanBefore() {
    IOBuffer b = new IOBuffer(pool, 0);
    IOBufferReader r = b.allocReader();
    b.write(pattern(10, 4));
    ByteBuffer[] views = new ByteBuffer[4];
    assertEquals(4, b.writableBuffers(views, 1000), "bounded by the array");
    b.fillBuffers(0);
    assertEquals(1, pool.outstanding());
    assertEquals(10, r.readAvail());
    r.consume(10);
    b.close();
  }

  @Test
  void fillBuffersRefusesMoreThanTheFreeSpace() {
    IOBuffer b = new IOBuffer(pool, 0);
    ByteBuffer[] views = new ByteBuffer[2];
    b.writableBuffers(views, 200);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.fillBuffers(257));
    assertEquals("fillBuffers(257) exceeds the free space 256 of the write block and the blocks after it (commit at"
        + " most what writableBuffers() exposed)", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> b.writableBuffers(views, 0));
    b.close();
  }

  @Test
  void anExclusiveViewCoversOneBlockAndItsChangesAreWhatTheReaderReads() {
    IOBuffer b = new IOBuffer(pool, 0);
    IOBufferReader r = b.allocReader();
    b.write(pattern(200, 5)); // 128 B + 72 B
    r.consume(28);
    ByteBuffer v = r.exclusiveBlockBuffer(Long.MAX_VALUE);
    assertNotNull(v);
    assertFalse(v.isReadOnly());
    assertEquals(100, v.remaining(), "from the read position to the end of its block");
    assertEquals(10, r.exclusiveBlockBuffer(10).remaining());
    v = r.exclusiveBlockBuffer(Long.MAX_VALUE);
    v.put(v.position(), (byte) 0x7f);
    assertEquals(0x7f, r.byteAt(0));
    r.consume(100);
    assertEquals(72, r.exclusiveBlockBuffer(1000).remaining(), "then the next block");
    r.consume(72);
    assertNull(r.exclusiveBlockBuffer(1000), "nothing readable");
    b.close();
  }

  @Test
  void noExclusiveViewWhileAnotherReaderOrAnotherBufferSeesTheBytes() {
    IOBuffer src = new IOBuffer(pool, 0);
    IOBufferReader srcReader = src.allocReader();
    IOBuffer b = new IOBuffer(pool, 0);
    IOBufferReader r = b.allocReader();
    src.write(pattern(128, 6));
    b.write(srcReader, 128); // shared by reference: src still holds the storage
    assertNull(r.exclusiveBlockBuffer(128), "the storage is shared with another buffer");
    srcReader.consume(128);
    src.trim();
    assertNotNull(r.exclusiveBlockBuffer(128), "once the other buffer let go, this block alone holds it");

    IOBufferReader second = r.cloneReader();
    assertNull(r.exclusiveBlockBuffer(128), "another reader of the same buffer would see the changes");
    second.free();
    assertArrayEquals(pattern(128, 6), peekAll(r));
    r.consume(128);
    src.close();
    b.close();
  }

  private static long total(ByteBuffer[] views, int count) {
    long t = 0;
    for (int i = 0; i < count; i++) {
      t += views[i].remaining();
    }
    return t;
  }
}
