package dev.vconn.domain.buffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The space queries and the water mark, with Traffic Server's own numbers: its checked values and regression tests
 * test_IOBuffer.cc ("write_avail", "write", "new_MIOBuffer 100 times"). 4 KiB blocks (size index 5), one reader.
 */
class IOBufferWaterMarkTest extends BufferTestSupport {

  private static final int INDEX_4K = 5;
  private static final int INDEX_512 = 2;

  @Test
  void waterMarkZeroOffersSpaceOnlyWhenEverythingIsConsumed() {
    try (IOBuffer b = new IOBuffer(pool, INDEX_4K)) {
      IOBufferReader r = b.allocReader();
      b.setWaterMark(0);

      assertEquals(2048, b.write(pattern(2048, 1)));
      assertTrue(b.highWater());
      assertFalse(b.currentLowWater());
      assertEquals(2048, b.writeAvail());
      assertEquals(1, pool.outstanding());

      // Fill to 4096 in place.
      assertEquals(2048, b.writableBuffer().remaining());
      b.fill(2048);
      assertEquals(4096, r.readAvail());
      assertEquals(0, b.writeAvail());

      r.consume(2048);
      assertEquals(0, b.writeAvail());
      assertEquals(1, pool.outstanding(), "no block added while data is unconsumed");

      r.consume(2048);
      assertFalse(b.highWater());
      assertTrue(b.currentLowWater());
      assertEquals(4096, b.writeAvail());
      assertEquals(2, pool.outstanding(), "a block was added");
      assertFalse(b.lowWater(), "4096 free > water mark 0");
    }
  }

  @Test
  void waterMarkHalfABlockAddsABlockAtTheMark() {
    try (IOBuffer b = new IOBuffer(pool, INDEX_4K)) {
      b.allocReader();
      b.setWaterMark(2048);

      b.write(pattern(2048, 2));
      assertFalse(b.highWater());
      assertTrue(b.currentLowWater());
      assertEquals(1, pool.outstanding());
      assertEquals(6144, b.writeAvail());
      assertEquals(2, pool.outstanding(), "a block was added");
      assertFalse(b.lowWater());
    }
  }

  @Test
  void waterMarkOneBlock() {
    try (IOBuffer b = new IOBuffer(pool, INDEX_4K)) {
      IOBufferReader r = b.allocReader();
      b.setWaterMark(4096);

      b.write(pattern(2048, 3));
      assertEquals(6144, b.writeAvail());
      assertEquals(2, pool.outstanding());

      b.write(pattern(6144, 4));
      assertEquals(8192, r.readAvail());
      assertTrue(b.highWater());
      assertEquals(0, b.writeAvail());
      assertEquals(2, pool.outstanding());

      r.consume(4096);
      assertEquals(1, pool.outstanding(), "the consumed block went back to the pool");
      assertFalse(b.highWater());
      assertEquals(4096, b.writeAvail());
      assertEquals(2, pool.outstanding(), "a tail block was added");
      assertEquals(4096, b.writeAvail());
      assertEquals(4096, b.writeAvail());
      assertEquals(2, pool.outstanding(), "further calls add no block");
      assertEquals(4096, b.currentWriteAvail());
    }
  }

  @Test
  void writeInitialState() {
    try (IOBuffer b = new IOBuffer(pool, INDEX_4K)) {
      IOBufferReader r = b.allocReader();
      assertEquals(INDEX_4K, b.sizeIndex());
      assertEquals(4096, b.blockSize());
      assertEquals(0, b.waterMark());
      assertEquals(0, b.blockWriteAvail(), "a new buffer holds no block");
      assertEquals(0, b.currentWriteAvail());
      assertNull(b.firstWriteBlock());
      assertEquals(0, b.maxReadAvail());
      assertEquals(0, r.readAvail());
      assertEquals(0, pool.outstanding());

      assertEquals(4096, b.writeAvail());
      assertEquals(4096, b.blockWriteAvail());
      assertEquals(4096, b.currentWriteAvail());
      assertEquals(4096, b.writeAvail(), "no second block");
      assertEquals(0, b.maxReadAvail());
      assertEquals(0, r.readAvail());
      assertEquals(1, pool.outstanding());
    }
  }

  /** Each size on a fresh buffer whose first block exists, as Catch2 re-runs the set-up for each SECTION. */
  @ParameterizedTest(name = "write {0}")
  @CsvSource({
    // len, blockWriteAvail, currentWriteAvail, writeAvail, same first write block, blocks
    "1024, 3072, 3072, 3072, true, 1",
    "4096, 0, 0, 0, true, 1",
    "5120, 3072, 3072, 3072, false, 2",
    "8192, 0, 0, 0, false, 2",
  })
  void write(int len, long blockWriteAvail, long currentWriteAvail, long writeAvail, boolean sameBlock, int blocks) {
    try (IOBuffer b = new IOBuffer(pool, INDEX_4K)) {
      IOBufferReader r = b.allocReader();
      assertEquals(4096, b.writeAvail());
      Block first = b.firstWriteBlock();

      assertEquals(len, b.write(pattern(len, len)));

      if (sameBlock) {
        assertSame(first, b.firstWriteBlock());
      } else {
        assertNotSame(first, b.firstWriteBlock());
      }
      assertEquals(blockWriteAvail, b.blockWriteAvail());
      assertEquals(currentWriteAvail, b.currentWriteAvail());
      assertEquals(writeAvail, b.writeAvail());
      assertEquals(len, b.maxReadAvail());
      assertEquals(len, r.readAvail());
      assertEquals(blocks, pool.outstanding());
      assertArrayEquals(pattern(len, len), peekAll(r));
    }
  }

  @Test
  void writeSizesOneAfterAnother() {
    try (IOBuffer b = new IOBuffer(pool, INDEX_4K)) {
      IOBufferReader r = b.allocReader();
      long total = 0;
      // len, blockWriteAvail (= currentWriteAvail = writeAvail: above the water mark nothing is added), blocks
      int[][] steps = {{1024, 3072, 1}, {4096, 3072, 2}, {5120, 2048, 3}, {8192, 2048, 5}};
      for (int[] s : steps) {
        b.write(pattern(s[0], s[0]));
        total += s[0];
        assertEquals(s[1], b.blockWriteAvail(), "blockWriteAvail after " + total);
        assertEquals(s[1], b.currentWriteAvail(), "currentWriteAvail after " + total);
        assertEquals(s[1], b.writeAvail(), "writeAvail after " + total);
        assertEquals(total, b.maxReadAvail());
        assertEquals(total, r.readAvail());
        assertEquals(s[2], pool.outstanding(), "blocks after " + total);
      }
      assertEquals(18432, total);
    }
  }

  @Test
  void noReaderMaxReadAvailIsTheWriteBlocksData() {
    try (IOBuffer b = new IOBuffer(pool, INDEX_4K)) {
      b.write(pattern(5000, 5));
      assertEquals(5000 - 4096, b.maxReadAvail());
      assertEquals(1, pool.outstanding(), "with no reader only the write block is kept");
    }
  }

  @Test
  void newBufferHundredTimes() {
    long total512 = 0;
    long total4k = 0;
    for (int i = 0; i < 100; i++) {
      try (IOBuffer b1 = new IOBuffer(pool, INDEX_512); IOBuffer b2 = new IOBuffer(pool, INDEX_4K)) {
        long len1 = b1.writeAvail();
        IOBufferReader r1 = b1.allocReader();
        ByteBuffer v1 = b1.writableBuffer();
        assertEquals(len1, v1.remaining());
        b1.fill(len1);
        total512 += r1.readAvail();

        long len2 = b2.writeAvail();
        IOBufferReader r2 = b2.allocReader();
        assertEquals(len2, b2.writableBuffer().remaining());
        b2.fill(len2);
        total4k += r2.readAvail();
      }
    }
    assertEquals(100 * 512, total512);
    assertEquals(100 * 4096, total4k);
    assertTrue(pool.idle() >= 2, "blocks are reused: " + pool);
  }
}
