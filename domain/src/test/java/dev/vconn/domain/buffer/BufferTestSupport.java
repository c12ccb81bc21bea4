package dev.vconn.domain.buffer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterEach;

/** Gives each test its own pools and checks after every test that all storage went back to them. */
abstract class BufferTestSupport {

  /** Direct pool, one per test. */
  protected final BlockPool pool = new BlockPool();
  /** Heap pool, one per test. */
  protected final BlockPool heapPool = BlockPool.heap();

  @AfterEach
  void allStorageReturned() {
    assertEquals(0, pool.outstanding(), () -> "storage not returned to the direct pool: " + pool);
    assertEquals(0, heapPool.outstanding(), () -> "storage not returned to the heap pool: " + heapPool);
  }

  /** {@code n} bytes of a recognisable pattern; {@code salt} makes different sources differ. */
  static byte[] pattern(int n, int salt) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (i * 31 + (i >>> 8) + salt);
    }
    return b;
  }

  /** All readable bytes of {@code r}, not consumed. */
  static byte[] peekAll(IOBufferReader r) {
    byte[] b = new byte[Math.toIntExact(r.readAvail())];
    assertEquals(b.length, r.copyTo(b, 0, b.length, 0));
    return b;
  }

  static byte[] slice(byte[] b, int from, int to) {
    return java.util.Arrays.copyOfRange(b, from, to);
  }
}
