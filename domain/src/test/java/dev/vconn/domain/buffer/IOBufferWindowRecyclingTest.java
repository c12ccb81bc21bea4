package dev.vconn.domain.buffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * Block windows are recycled by their buffer (IOBuffer's class comment, "Windows are recycled"): steady-state
 * writing, sharing and consuming allocate nothing, a recycled window over other storage sees that storage, and an
 * idle or closed buffer keeps no window.
 */
class IOBufferWindowRecyclingTest extends BufferTestSupport {

  private static final int CYCLES = 10_000;
  private static final int BLOCK = BufferSizes.blockSize(BufferSizes.DEFAULT_INDEX);

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  @Test
  void steady_state_write_share_and_consume_allocate_nothing() {
    byte[] small = pattern(1024, 1);
    byte[] big = pattern(2 * BLOCK, 2);
    try (IOBuffer buffer = new IOBuffer(pool); IOBuffer source = new IOBuffer(pool); IOBuffer copy = new IOBuffer(pool)) {
      IOBufferReader reader = buffer.allocReader();
      IOBufferReader sourceReader = source.allocReader();
      source.write(big);
      IOBufferReader copyReader = copy.allocReader();
      Runnable cycle = () -> {
        buffer.write(small);
        reader.consume(small.length);
        copy.write(sourceReader, big.length); // two pieces shared by reference
        copyReader.consume(big.length);
      };
      for (int i = 0; i < 100; i++) { // reach steady state: pool storage cached, windows kept
        cycle.run();
      }
      THREADS.getCurrentThreadAllocatedBytes(); // its first call may allocate
      long before = THREADS.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < CYCLES; i++) {
        cycle.run();
      }
      long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
      // A window is 48 bytes or more, and a cycle appends about two on average: allocating windows would cost at least
      // 48 bytes per cycle. Under one byte per cycle leaves room for the JVM's own one-off allocations (about 1 KB
      // seen, independent of the cycle count), not for a single window per cycle.
      assertTrue(allocated < CYCLES,
          allocated + " bytes allocated over " + CYCLES + " write/share/consume cycles, expected none");
      assertTrue(buffer.spareWindowCount() <= IOBuffer.MAX_SPARE_WINDOWS);
      assertTrue(copy.spareWindowCount() <= IOBuffer.MAX_SPARE_WINDOWS);
    }
  }

  @Test
  void a_recycled_window_over_other_storage_reads_and_writes_that_storage() {
    try (IOBuffer a = new IOBuffer(pool); IOBuffer keeper = new IOBuffer(pool)) {
      IOBufferReader ar = a.allocReader();
      IOBufferReader kr = keeper.allocReader();
      byte[] first = pattern(BLOCK, 3);
      // Fill one whole block in place, so its window caches a write view, then a read view.
      ByteBuffer w = a.writableBuffer();
      w.put(first);
      a.fill(BLOCK);
      ByteBuffer[] views = new ByteBuffer[4];
      assertEquals(1, ar.readableBuffers(views, BLOCK));
      // Another buffer shares that storage, so the pool cannot hand it out again.
      keeper.write(ar, BLOCK);
      ar.consume(BLOCK);
      byte[] second = pattern(BLOCK, 4);
      w = a.writableBuffer(); // a new block: the first one's window is released and kept
      w.put(second);
      a.fill(BLOCK);
      a.write(pattern(10, 5)); // moves the writer on, so the second block's window can be released too
      keeper.write(ar, BLOCK); // the second storage is shared as well: the pool has nothing to hand out again
      ar.consume(BLOCK);
      assertEquals(2, a.spareWindowCount(), "both released windows were kept");

      byte[] third = pattern(BLOCK, 6);
      a.write(pattern(BLOCK - 10, 7)); // fills the current block
      w = a.writableBuffer(); // a recycled window over fresh storage (both earlier ones are still shared)
      w.put(third);
      a.fill(BLOCK);
      ar.consume(BLOCK);
      byte[] out = new byte[BLOCK];
      assertEquals(1, ar.readableBuffers(views, BLOCK));
      views[0].get(out);
      assertArrayEquals(third, out, "the recycled window's views cover its new storage");
      byte[] shared = new byte[2 * BLOCK];
      System.arraycopy(first, 0, shared, 0, BLOCK);
      System.arraycopy(second, 0, shared, BLOCK, BLOCK);
      assertArrayEquals(shared, peekAll(kr), "the storage the windows held before is untouched");
    }
  }

  @Test
  void an_emptied_or_closed_buffer_keeps_no_window() {
    IOBuffer buffer = new IOBuffer(pool);
    IOBufferReader reader = buffer.allocReader();
    byte[] data = pattern(3 * BLOCK, 8);
    buffer.write(data);
    reader.consume(data.length);
    assertTrue(buffer.spareWindowCount() > 0, "consumed windows were kept while data flowed");
    buffer.trim();
    assertEquals(0, buffer.spareWindowCount(), "a trim that empties the buffer forgets kept windows");
    buffer.write(data);
    reader.consume(data.length);
    assertTrue(buffer.spareWindowCount() > 0);
    buffer.close();
    assertEquals(0, buffer.spareWindowCount(), "close forgets kept windows");
  }
}
