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

/** The block pool: exact counting per class, reuse, the idle cap, and thread-safe release across threads. */
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
  void idleStorageIsCapped() {
    List<BlockData> small = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      small.add(heapPool.allocate(0));
    }
    small.forEach(BlockData::release);
    assertEquals(BlockPool.MAX_IDLE_PER_CLASS, heapPool.idle(), "at most 256 idle per class");

    List<BlockData> large = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      large.add(heapPool.allocate(13)); // 1 MiB each
    }
    large.forEach(BlockData::release);
    assertEquals(BlockPool.MAX_IDLE_PER_CLASS + 8, heapPool.idle(), "at most 8 MiB idle per class");
    assertEquals(0, heapPool.outstanding());
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
    assertTrue(pool.idle() <= 3 * BlockPool.MAX_IDLE_PER_CLASS);
  }
}
