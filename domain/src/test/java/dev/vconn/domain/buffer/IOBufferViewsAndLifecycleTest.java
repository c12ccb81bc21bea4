package dev.vconn.domain.buffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The zero-copy views (readableBuffers for gather writes, writableBuffer/fill for in-place reads), ByteBuffer reads
 * and writes, use after close or free, the heap pool, and the double-release detector.
 */
class IOBufferViewsAndLifecycleTest extends BufferTestSupport {

  /** Writes the views like a gathering channel that takes at most {@code max} bytes per call. */
  private static long gather(ByteBuffer[] views, int count, long max, ByteArrayOutputStream out) {
    long taken = 0;
    for (int i = 0; i < count && taken < max; i++) {
      ByteBuffer v = views[i];
      int n = (int) Math.min(v.remaining(), max - taken);
      byte[] tmp = new byte[n];
      v.get(tmp);
      out.write(tmp, 0, n);
      taken += n;
    }
    return taken;
  }

  @Test
  void readableBuffersCoverTheReadableBytesBlockByBlock() {
    try (IOBuffer b = new IOBuffer(pool, 1)) {
      IOBufferReader r = b.allocReader();
      byte[] data = pattern(700, 31);
      b.write(data);
      r.consume(10);

      ByteBuffer[] views = new ByteBuffer[8];
      int n = r.readableBuffers(views, Long.MAX_VALUE);
      assertEquals(3, n, "three blocks of 256");
      assertEquals(246, views[0].remaining());
      assertEquals(256, views[1].remaining());
      assertEquals(188, views[2].remaining());
      for (int i = 0; i < n; i++) {
        assertTrue(views[i].isReadOnly());
        assertTrue(views[i].isDirect());
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      assertEquals(690, gather(views, n, Long.MAX_VALUE, out));
      assertArrayEquals(slice(data, 10, 700), out.toByteArray());
      assertEquals(690, r.readAvail(), "nothing consumed by readableBuffers");

      // Limits: total bytes and entries.
      n = r.readableBuffers(views, 300);
      assertEquals(2, n);
      assertEquals(246, views[0].remaining());
      assertEquals(54, views[1].remaining());
      ByteBuffer[] two = new ByteBuffer[2];
      assertEquals(2, r.readableBuffers(two, Long.MAX_VALUE));
      assertEquals(0, r.readableBuffers(new ByteBuffer[0], 100));
      assertEquals(0, r.readableBuffers(views, 0));
      assertThrows(IllegalArgumentException.class, () -> r.readableBuffers(views, -1));

      // The views are cached per block: the same objects, only repositioned.
      ByteBuffer first = views[0];
      r.readableBuffers(views, Long.MAX_VALUE);
      assertSame(first, views[0]);
    }
  }

  @Test
  void gatherWriteAndConsumeRoundTrip() {
    try (IOBuffer b = new IOBuffer(pool, 0)) {
      IOBufferReader r = b.allocReader();
      byte[] data = pattern(5000, 32);
      b.write(data);
      ByteBuffer[] views = new ByteBuffer[4];
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      while (!r.isEmpty()) {
        int n = r.readableBuffers(views, 1000);
        long taken = gather(views, n, 333, out); // a channel that takes only part of what it is given
        r.consume(taken);
      }
      assertArrayEquals(data, out.toByteArray());
      assertEquals(1, pool.outstanding(), "consumed blocks went back; the write block stays");
    }
  }

  @Test
  void writableBufferFillRoundTrip() {
    try (IOBuffer b = new IOBuffer(pool, 2)) {
      IOBufferReader r = b.allocReader();
      ByteBuffer v = b.writableBuffer();
      assertEquals(1, pool.outstanding(), "a block is added when there is no space");
      assertEquals(0, v.position());
      assertEquals(512, v.limit());
      assertTrue(v.isDirect());
      assertFalse(v.isReadOnly());
      v.put(pattern(100, 33));
      b.fill(100);
      assertEquals(100, r.readAvail());

      ByteBuffer again = b.writableBuffer();
      assertSame(v, again, "one cached view per block");
      assertEquals(100, again.position());
      assertEquals(512, again.limit());
      again.put(pattern(412, 34));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.fill(413));
      assertEquals("fill(413) exceeds the write block's free space 412 (commit at most what writableBuffer() exposed)",
          e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> b.fill(-1));
      b.fill(412);
      assertEquals(512, r.readAvail());
      assertEquals(0, b.blockWriteAvail());

      ByteBuffer next = b.writableBuffer();
      assertEquals(2, pool.outstanding(), "a full write block: a new block is added");
      assertEquals(0, next.position());
      next.put((byte) 7);
      b.fill(1);

      byte[] all = new byte[513];
      assertEquals(513, r.read(all, 0, all.length));
      assertArrayEquals(pattern(100, 33), slice(all, 0, 100));
      assertArrayEquals(pattern(412, 34), slice(all, 100, 512));
      assertEquals(7, all[512]);
      assertEquals(1, pool.outstanding());
    }
  }

  @Test
  void fillIntoTheBlockAfterAFullWriter() {
    try (IOBuffer b = new IOBuffer(pool, 0)) {
      IOBufferReader r = b.allocReader();
      b.setWaterMark(1000);
      b.write(pattern(128, 1));
      assertEquals(128, b.writeAvail(), "below the water mark a block is added after the full writer");
      ByteBuffer v = b.writableBuffer();
      assertEquals(2, pool.outstanding());
      v.put(pattern(128, 2));
      b.fill(128);
      assertEquals(256, r.readAvail());
      assertArrayEquals(pattern(128, 2), slice(peekAll(r), 128, 256));
      b.fill(0);
      assertEquals(256, r.readAvail(), "fill(0) commits nothing");
    }
  }

  @Test
  void byteBufferWriteAndRead() {
    try (IOBuffer b = new IOBuffer(heapPool, 0)) {
      IOBufferReader r = b.allocReader();
      ByteBuffer src = ByteBuffer.allocateDirect(1000);
      src.put(pattern(1000, 35)).flip();
      src.position(100);
      assertEquals(900, b.write(src));
      assertEquals(1000, src.position());
      assertEquals(900, r.readAvail());

      ByteBuffer dst = ByteBuffer.allocate(1000);
      dst.position(50);
      dst.limit(550);
      assertEquals(500, r.read(dst));
      assertEquals(550, dst.position());
      byte[] got = new byte[500];
      dst.position(50);
      dst.get(got);
      assertArrayEquals(slice(pattern(1000, 35), 100, 600), got);
      assertEquals(400, r.readAvail());
      assertEquals(0, r.read(ByteBuffer.allocate(0)));
    }
  }

  @Test
  void copyToAndByteAt() {
    try (IOBuffer b = new IOBuffer(pool, 0)) {
      IOBufferReader r = b.allocReader();
      byte[] data = pattern(600, 36);
      b.write(data);
      r.consume(5);
      for (int off : new int[] {0, 1, 122, 123, 124, 250, 594}) {
        assertEquals(data[5 + off], r.byteAt(off), "byteAt " + off);
      }
      assertThrows(IndexOutOfBoundsException.class, () -> r.byteAt(595));
      assertThrows(IndexOutOfBoundsException.class, () -> r.byteAt(-1));
      byte[] dst = new byte[300];
      assertEquals(300, r.copyTo(dst, 0, 300, 100));
      assertArrayEquals(slice(data, 105, 405), dst);
      assertEquals(95, r.copyTo(dst, 0, 300, 500));
      assertArrayEquals(slice(data, 505, 600), slice(dst, 0, 95));
      assertEquals(0, r.copyTo(dst, 0, 300, 595));
      assertThrows(IllegalArgumentException.class, () -> r.copyTo(dst, 0, 1, -1));
      assertThrows(IndexOutOfBoundsException.class, () -> r.copyTo(dst, 200, 101, 0));
      assertEquals(595, r.readAvail(), "copyTo does not consume");
    }
  }

  @Test
  void closedBufferThrowsOnUse() {
    IOBuffer b = new IOBuffer(pool);
    IOBufferReader r = b.allocReader();
    b.write(pattern(10, 1));
    b.close();
    assertTrue(b.isClosed());
    assertEquals(0, pool.outstanding());
    b.close(); // idempotent
    assertEquals(BufferSizes.DEFAULT_INDEX, b.sizeIndex());
    assertSame(pool, b.pool());
    assertTrue(r.isFreed(), "close frees the readers");
    r.free(); // still a no-op

    List<Executable> uses = List.of(
        b::allocReader, b::readerCount, b::waterMark, () -> b.setWaterMark(1),
        () -> b.write(new byte[1]), () -> b.write(new byte[1], 0, 1), () -> b.write(ByteBuffer.allocate(1)),
        () -> b.write(r, 0), b::writableBuffer, () -> b.fill(0), b::blockWriteAvail, b::currentWriteAvail,
        b::writeAvail, b::maxReadAvail, b::highWater, b::currentLowWater, b::lowWater,
        r::readAvail, () -> r.consume(0), r::cloneReader, () -> r.byteAt(0));
    for (Executable use : uses) {
      IllegalStateException e = assertThrows(IllegalStateException.class, use);
      assertEquals("IOBuffer is closed", e.getMessage());
    }
  }

  @Test
  void freedReaderThrowsOnUse() {
    try (IOBuffer b = new IOBuffer(pool); IOBuffer other = new IOBuffer(pool)) {
      IOBufferReader r = b.allocReader();
      b.write(pattern(10, 1));
      r.free();
      r.free(); // idempotent
      assertTrue(r.isFreed());
      assertSame(b, r.buffer());
      assertEquals(0, b.readerCount());
      List<Consumer<IOBufferReader>> uses = List.of(
          IOBufferReader::readAvail, IOBufferReader::isEmpty, x -> x.consume(0), x -> x.read(new byte[1], 0, 1),
          x -> x.read(ByteBuffer.allocate(1)), x -> x.copyTo(new byte[1], 0, 1, 0), x -> x.byteAt(0),
          IOBufferReader::cloneReader, x -> x.readableBuffers(new ByteBuffer[1], 1), x -> other.write(x, 0));
      for (Consumer<IOBufferReader> use : uses) {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> use.accept(r));
        assertEquals("IOBufferReader is freed", e.getMessage());
      }
    }
  }

  @Test
  void heapPoolWorksToo() {
    assertFalse(heapPool.isDirect());
    try (IOBuffer src = new IOBuffer(heapPool, 3); IOBuffer dst = new IOBuffer(heapPool, 3)) {
      IOBufferReader rs = src.allocReader();
      IOBufferReader rd = dst.allocReader();
      byte[] data = pattern(5000, 37);
      src.write(data);
      dst.write(rs, 5000);
      assertEquals(5, heapPool.outstanding(), "shared, not copied");
      ByteBuffer[] views = new ByteBuffer[8];
      int n = rd.readableBuffers(views, Long.MAX_VALUE);
      assertEquals(5, n);
      assertFalse(views[0].isDirect());
      ByteBuffer v = dst.writableBuffer();
      assertFalse(v.isDirect());
      v.put((byte) 1);
      dst.fill(1);
      byte[] all = new byte[5001];
      assertEquals(5001, rd.read(all, 0, all.length));
      assertArrayEquals(data, slice(all, 0, 5000));
    }
    assertEquals(0, pool.outstanding());
  }

  @Test
  void doubleReleaseIsDetected() {
    BlockData d = pool.allocate(0);
    assertEquals(1, pool.outstanding(0));
    d.retain();
    d.release();
    assertEquals(1, pool.outstanding(), "one reference left");
    d.release();
    assertEquals(0, pool.outstanding());
    assertEquals(1, pool.idle());
    assertThrows(IllegalStateException.class, d::release);
    assertThrows(IllegalStateException.class, d::retain);
    assertEquals(0, pool.outstanding(), "the failed release did not count twice");
    assertEquals(1, pool.idle());
    assertSame(d, pool.allocate(0), "idle storage is reused");
    d.release();
  }
}
