package dev.vconn.domain.buffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * Block windows are recycled by their buffer (IOBuffer's class comment, "Windows are recycled"): steady-state
 * writing, sharing and consuming allocate nothing, nor does trimming a buffer that ran dry and using it again; a
 * recycled window over other storage sees that storage and nothing of what it framed before; an emptied buffer's kept
 * windows frame no storage and a closed buffer keeps none; the views kept with a storage serve only its owner window.
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
  void an_emptied_buffer_keeps_its_windows_without_storage_and_a_closed_one_keeps_none() {
    IOBuffer buffer = new IOBuffer(pool);
    IOBufferReader reader = buffer.allocReader();
    byte[] data = pattern(3 * BLOCK, 8);
    buffer.write(data);
    reader.consume(data.length);
    assertTrue(buffer.spareWindowCount() > 0, "consumed windows were kept while data flowed");
    buffer.trim();
    assertEquals(0, pool.outstanding(), "the trim gave every block back");
    assertTrue(buffer.spareWindowCount() > 0, "a trim keeps the windows it releases");
    assertEquals(0, buffer.boundSpareWindowCount(), "an emptied buffer's kept windows frame no storage");
    buffer.write(data);
    reader.consume(data.length);
    assertTrue(buffer.spareWindowCount() > 0);
    buffer.close();
    assertEquals(0, buffer.spareWindowCount(), "close forgets kept windows");
  }

  @Test
  void a_write_read_consume_trim_cycle_allocates_no_window_and_no_view() {
    byte[] chunk = pattern(BLOCK / 2, 9);
    byte[] out = new byte[chunk.length];
    ByteBuffer[] views = new ByteBuffer[4];
    try (IOBuffer buffer = new IOBuffer(pool); IOBuffer copy = new IOBuffer(pool)) {
      IOBufferReader reader = buffer.allocReader();
      IOBufferReader copyReader = copy.allocReader();
      // What a socket VConn does per read: a read in place, the bytes shared into the reader's buffer and read there
      // through a view, everything consumed, and both buffers trimmed once they ran dry.
      Runnable cycle = () -> {
        buffer.writableBuffer().put(chunk);
        buffer.fill(chunk.length);
        copy.write(reader, chunk.length);
        reader.consume(chunk.length);
        buffer.trim();
        copyReader.consume(chunk.length);
        copy.trim();
        buffer.writableBuffer().put(chunk); // a second read, read in place through a view
        buffer.fill(chunk.length);
        reader.readableBuffers(views, chunk.length);
        views[0].get(out);
        views[0] = null;
        reader.consume(chunk.length);
        buffer.trim();
      };
      for (int i = 0; i < 100; i++) {
        cycle.run();
      }
      THREADS.getCurrentThreadAllocatedBytes();
      long before = THREADS.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < CYCLES; i++) {
        cycle.run();
      }
      long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
      // A window is 48 bytes or more and a view about 64: a cycle makes three windows and uses two views.
      assertTrue(allocated < CYCLES,
          allocated + " bytes allocated over " + CYCLES + " write/read/consume/trim cycles, expected none");
      assertArrayEquals(chunk, out);
    }
  }

  @Test
  void a_trimmed_then_reused_buffer_exposes_nothing_of_its_earlier_data() {
    long baseline = pool.outstanding();
    try (IOBuffer buffer = new IOBuffer(pool)) {
      IOBufferReader reader = buffer.allocReader();
      byte[] earlier = pattern(3 * BLOCK - 100, 10);
      ByteBuffer w = buffer.writableBuffer();
      w.put(pattern(BLOCK, 11)); // a whole block written in place, through the storage's owner view
      buffer.fill(BLOCK);
      buffer.write(earlier);
      ByteBuffer[] views = new ByteBuffer[8];
      reader.readableBuffers(views, reader.readAvail()); // every window caches a read view
      reader.consume(reader.readAvail());
      buffer.trim();
      assertEquals(baseline, pool.outstanding(), "the trim gave every block back to the pool");

      byte[] later = pattern(1000, 12);
      w = buffer.writableBuffer();
      assertEquals(0, w.position(), "a reused window starts empty");
      assertEquals(BLOCK, w.remaining());
      w.put(later, 0, 100);
      buffer.fill(100);
      buffer.write(later, 100, later.length - 100);
      assertEquals(later.length, reader.readAvail(), "the reader sees only what was written after the trim");
      int count = reader.readableBuffers(views, reader.readAvail());
      long covered = 0;
      for (int i = 0; i < count; i++) {
        covered += views[i].remaining();
      }
      assertEquals(later.length, covered, "the reused windows' views cover only the new bytes");
      assertArrayEquals(later, peekAll(reader));
      IOBufferReader late = buffer.allocReader();
      assertArrayEquals(later, peekAll(late), "a reader allocated now starts at the reused block, not before it");
      assertEquals(BLOCK - later.length, buffer.writableBuffer().remaining());
    }
    assertEquals(baseline, pool.outstanding(), "and close gave them back again");
  }

  @Test
  void storage_shared_after_its_owner_window_was_released_gets_views_of_its_own_in_another_buffer() {
    try (IOBuffer a = new IOBuffer(pool); IOBuffer keeper = new IOBuffer(pool)) {
      IOBufferReader ar = a.allocReader();
      byte[] first = pattern(BLOCK, 13);
      a.writableBuffer().put(first); // a owns the storage and caches its owner views
      a.fill(BLOCK);
      ByteBuffer[] views = new ByteBuffer[4];
      ar.readableBuffers(views, BLOCK);
      keeper.write(ar, BLOCK);
      ar.consume(BLOCK);
      a.write(pattern(10, 14)); // a new block: the owner window is released and kept, still naming the storage
      ar.consume(10);
      keeper.close(); // the storage goes back to the pool

      try (IOBuffer b = new IOBuffer(pool)) {
        IOBufferReader br = b.allocReader();
        byte[] second = pattern(BLOCK, 15);
        b.writableBuffer().put(second); // b takes the same storage from the pool and owns it now
        b.fill(BLOCK);
        a.write(br, BLOCK); // a shares b's storage through its kept window
        ByteBuffer[] aViews = new ByteBuffer[4];
        assertEquals(1, ar.readableBuffers(aViews, BLOCK));
        ByteBuffer aView = aViews[0];
        br.readableBuffers(views, 100); // b's owner view, repositioned
        assertTrue(aView != views[0], "a sharing window must not use the owner's views");
        assertEquals(BLOCK, aView.remaining(), "a's view is untouched by b's use of its own");
        byte[] seen = new byte[BLOCK];
        aView.get(seen);
        assertArrayEquals(second, seen);
        ar.consume(BLOCK);
      }
    }
  }

  @Test
  void a_closed_buffers_window_goes_with_its_storage_to_the_next_buffer_which_sees_only_its_own_bytes() {
    IOBuffer a = new IOBuffer(pool);
    IOBufferReader ar = a.allocReader();
    a.write(pattern(1000, 16));
    Block window = a.head;
    a.close();
    assertEquals(0, pool.outstanding(), "the closed buffer gave its storage back");
    assertThrows(IllegalStateException.class, ar::readAvail, "a reader of the closed buffer stays dead");

    try (IOBuffer b = new IOBuffer(pool)) {
      IOBufferReader br = b.allocReader();
      byte[] own = pattern(10, 17);
      b.write(own);
      assertSame(window, b.head, "the storage's next owner took the window parked with it");
      assertEquals(1, b.blockCount());
      assertEquals(own.length, br.readAvail(), "nothing of the previous owner's 1000 bytes is readable");
      assertArrayEquals(own, peekAll(br));
      ByteBuffer[] views = new ByteBuffer[2];
      assertEquals(1, br.readableBuffers(views, 100));
      assertEquals(own.length, views[0].remaining(), "the view frames the new owner's bytes only");
      br.consume(own.length);
    }
    assertEquals(0, pool.outstanding());
  }

  @Test
  void a_window_parked_with_shared_storage_serves_only_the_next_owner_after_the_share_is_gone() {
    byte[] first = pattern(BLOCK, 18);
    IOBuffer keeper = new IOBuffer(pool);
    IOBufferReader kr = keeper.allocReader();
    IOBuffer a = new IOBuffer(pool);
    IOBufferReader ar = a.allocReader();
    a.write(first);
    Block window = a.head;
    keeper.write(ar, BLOCK); // shared by reference: the storage stays out of the pool after a closes
    a.close();
    assertEquals(1, pool.outstanding(), "the keeper still holds the storage");

    try (IOBuffer b = new IOBuffer(pool)) {
      IOBufferReader br = b.allocReader();
      b.write(pattern(20, 19));
      assertTrue(window != b.head, "storage still shared is not handed out, nor is its parked window");
      br.consume(20);
    }
    assertArrayEquals(first, peekAll(kr), "the sharing buffer still reads the first owner's bytes");
    keeper.close();
    assertEquals(0, pool.outstanding());

    try (IOBuffer c = new IOBuffer(pool)) {
      IOBufferReader cr = c.allocReader();
      byte[] own = pattern(30, 20);
      c.write(own);
      // The pool hands out its most recently freed storage first: the shared one, with a's window parked on it.
      assertSame(window, c.head);
      assertArrayEquals(own, peekAll(cr));
      cr.consume(own.length);
    }
    assertEquals(0, pool.outstanding(), "the pool is back to its baseline");
  }

  @Test
  void a_small_copy_into_a_fresh_buffer_allocates_no_more_than_writing_the_same_bytes() {
    byte[] piece = pattern(60, 21); // under the copy threshold: copied, not shared
    try (IOBuffer source = new IOBuffer(pool)) {
      IOBufferReader sr = source.allocReader();
      source.write(piece);
      long withArray = allocatedPerCycle(() -> {
        try (IOBuffer dst = new IOBuffer(pool)) {
          dst.allocReader();
          dst.write(piece);
        }
      });
      long withCopy = allocatedPerCycle(() -> {
        try (IOBuffer dst = new IOBuffer(pool)) {
          dst.allocReader();
          dst.write(sr, piece.length);
        }
      });
      // A scratch array for the copy would cost 144 bytes per fresh buffer; 32 leaves room for measurement noise.
      assertTrue(withCopy - withArray < 32,
          "a small copy into a fresh buffer allocates " + withCopy + " B per cycle, writing an array " + withArray);
      sr.consume(piece.length);
    }
  }

  private static long allocatedPerCycle(Runnable cycle) {
    for (int i = 0; i < 1000; i++) {
      cycle.run();
    }
    THREADS.getCurrentThreadAllocatedBytes();
    long before = THREADS.getCurrentThreadAllocatedBytes();
    for (int i = 0; i < CYCLES; i++) {
      cycle.run();
    }
    return (THREADS.getCurrentThreadAllocatedBytes() - before) / CYCLES;
  }

  @Test
  void a_buffer_made_written_and_closed_per_transaction_allocates_only_itself_and_its_reader() {
    byte[] piece = pattern(60, 22);
    long perCycle = allocatedPerCycle(() -> {
      try (IOBuffer buffer = new IOBuffer(pool)) {
        IOBufferReader reader = buffer.allocReader();
        buffer.write(piece);
        reader.consume(piece.length);
      }
    });
    // The buffer object (80 bytes with compressed references) and its reader (40): no window (the storage's parked
    // one is taken), no array of five reader slots (24 bytes and more), no scratch.
    assertTrue(perCycle <= 128, perCycle + " bytes allocated per buffer made, written, read and closed");
  }
}
