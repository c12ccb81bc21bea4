package dev.vconn.domain.buffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The block pool: exact counting per class, reuse, the cache bound, the outstanding limit, the report, and
 * thread-safe release across threads.
 */
class BlockPoolTest extends BufferTestSupport {

  @Test
  void countsPerClassAndReuses() {
    BlockData a = pool.allocate(0);
    BlockData b = pool.allocate(8);
    BlockData c = pool.allocate(8);
    assertEquals(128, a.capacity());
    assertEquals(32768, b.capacity());
    assertTrue(b.buffer.isDirect());
    assertEquals(3, pool.outstanding());
    assertEquals(1, pool.outstanding(0));
    assertEquals(2, pool.outstanding(8));
    assertEquals(0, pool.idle());
    assertTrue(pool.toString().contains("32768B:2"), pool.toString());
    assertThrows(IllegalArgumentException.class, () -> pool.outstanding(15));

    b.release();
    assertEquals(1, pool.outstanding(8));
    assertEquals(1, pool.idle());
    BlockData d = pool.allocate(8);
    assertSame(b, d, "idle storage of the same class is reused");
    assertEquals(1, d.refCount());
    BlockData e = pool.allocate(0);
    assertNotSame(a, e);
    for (BlockData x : List.of(a, c, d, e)) {
      x.release();
    }
    assertEquals(4, pool.idle());
  }

  @Test
  void heapPoolHandsOutHeapBuffers() {
    BlockData h = heapPool.allocate(3);
    assertFalse(h.buffer.isDirect());
    assertEquals(1024, h.capacity());
    assertTrue(heapPool.toString().startsWith("BlockPool[heap"), heapPool.toString());
    h.release();
  }

  @Test
  void cachedStorageIsBoundedInBytesOverAllClassesAndTheRestIsDropped() {
    BlockPool bounded = BlockPool.heap(new BlockPool.Bounds(64 * 1024, Long.MAX_VALUE));
    List<BlockData> blocks = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      blocks.add(bounded.allocate(8)); // 32 KiB each
    }
    blocks.add(bounded.allocate(0));
    blocks.forEach(BlockData::release);
    // Two 32 KiB blocks fill the 64 KiB bound; the third and the 128 B block no longer fit and are dropped.
    assertEquals(2, bounded.idle());
    assertEquals(64 * 1024, bounded.cachedBytes());
    assertEquals(2, bounded.report().droppedBlocks());
    assertEquals(0, bounded.outstanding());

    BlockData again = bounded.allocate(8);
    assertEquals(32 * 1024, bounded.cachedBytes(), "taking a cached block uncounts it");
    again.release();
    assertEquals(64 * 1024, bounded.cachedBytes());

    BlockPool none = BlockPool.heap(new BlockPool.Bounds(0, Long.MAX_VALUE));
    none.allocate(0).release();
    assertEquals(0, none.idle(), "a bound of 0 caches nothing");
  }

  @Test
  void theDefaultCacheBoundIs16MiB() {
    assertEquals(16L << 20, pool.bounds().maxCachedBytes());
    assertEquals(Long.MAX_VALUE, pool.bounds().outstandingLimitBytes());
    List<BlockData> large = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      large.add(heapPool.allocate(13)); // 1 MiB each
    }
    large.forEach(BlockData::release);
    assertEquals(16, heapPool.idle());
    assertEquals(16L << 20, heapPool.cachedBytes());
    assertEquals(4, heapPool.report().droppedBlocks());
  }

  @Test
  void pastTheOutstandingLimitThePoolStillServesCountsItAndCachesNothingFreedMeanwhile() {
    BlockPool limited = BlockPool.heap(new BlockPool.Bounds(1 << 20, 64 * 1024));
    BlockData a = limited.allocate(8);
    BlockData b = limited.allocate(8);
    assertEquals(0, limited.report().allocationsOverLimit(), "exactly at the limit is not over it");
    BlockData c = limited.allocate(8);
    BlockData d = limited.allocate(8);
    assertEquals(2, limited.report().allocationsOverLimit());
    assertEquals(128 * 1024, limited.outstandingBytes());
    d.release(); // freed while 128 KiB were out: dropped
    c.release(); // freed while 96 KiB were out: dropped
    assertEquals(0, limited.idle());
    b.release(); // 64 KiB were out, within the limit: cached
    a.release();
    assertEquals(2, limited.idle());
    BlockPool.Report r = limited.report();
    assertEquals(128 * 1024, r.peakOutstandingBytes());
    assertEquals(2, r.droppedBlocks());
    assertEquals(0, r.outstandingBytes());
  }

  @Test
  void theReportListsOutstandingAndCachedBlocksAndBytesPerSizeClass() {
    BlockData a = pool.allocate(0);
    BlockData b = pool.allocate(8);
    BlockData c = pool.allocate(8);
    c.release();
    BlockPool.Report r = pool.report();
    assertTrue(r.direct());
    assertEquals(List.of(new BlockPool.SizeClassReport(0, 128, 1, 0), new BlockPool.SizeClassReport(8, 32768, 1, 1)),
        r.classes());
    assertEquals(2, r.outstandingBlocks());
    assertEquals(128 + 32768, r.outstandingBytes());
    assertEquals(128 + 32768, pool.outstandingBytes());
    assertEquals(1, r.cachedBlocks());
    assertEquals(32768, r.cachedBytes());
    assertEquals(128 + 2 * 32768, r.peakOutstandingBytes());
    assertEquals(32768, r.classes().get(1).outstandingBytes());
    assertEquals(32768, r.classes().get(1).cachedBytes());
    a.release();
    b.release();
    assertEquals(0, pool.report().outstandingBytes());
    assertEquals(3, pool.report().cachedBlocks());
  }

  @Test
  void boundsAreChecked() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BlockPool.Bounds(-1, 1));
    assertEquals("maxCachedBytes must be >= 0, was -1", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new BlockPool.Bounds(0, 0));
    assertEquals("outstandingLimitBytes must be > 0, was 0", e.getMessage());
  }

  @Test
  void sharedStorageReleasedOnOtherThreadsIsCountedExactly() throws Exception {
    int threads = 4;
    int perThread = 20_000;
    ExecutorService exec = Executors.newFixedThreadPool(threads);
    BlockingQueue<BlockData> handOff = new ArrayBlockingQueue<>(1024);
    try {
      List<Future<?>> fs = new ArrayList<>();
      // Producers allocate and retain once more; consumers release both references, racing the producers' pool use.
      for (int t = 0; t < threads / 2; t++) {
        fs.add(exec.submit(() -> {
          for (int i = 0; i < perThread; i++) {
            BlockData d = pool.allocate(i % 3);
            d.retain();
            handOff.put(d);
            d.release();
          }
          return null;
        }));
        fs.add(exec.submit(() -> {
          for (int i = 0; i < perThread; i++) {
            handOff.take().release();
          }
          return null;
        }));
      }
      for (Future<?> f : fs) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      exec.shutdownNow();
    }
    assertEquals(0, pool.outstanding(), pool::toString);
    assertTrue(pool.cachedBytes() <= pool.bounds().maxCachedBytes());
    assertEquals(0, pool.outstandingBytes());
  }
}
