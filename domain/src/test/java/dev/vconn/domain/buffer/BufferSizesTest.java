package dev.vconn.domain.buffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The size classes: constants, {@code blockSize} and {@code checkIndex}. */
class BufferSizesTest {

  @Test
  void constants() {
    assertEquals(0, BufferSizes.MIN_INDEX);
    assertEquals(14, BufferSizes.MAX_INDEX);
    assertEquals(8, BufferSizes.DEFAULT_INDEX);
    assertEquals(128, BufferSizes.COPY_THRESHOLD);
  }

  @Test
  void blockSizes() {
    assertEquals(128, BufferSizes.blockSize(0));
    assertEquals(512, BufferSizes.blockSize(2));
    assertEquals(4096, BufferSizes.blockSize(5));
    assertEquals(32768, BufferSizes.blockSize(8));
    assertEquals(2 * 1024 * 1024, BufferSizes.blockSize(14));
    assertThrows(IllegalArgumentException.class, () -> BufferSizes.blockSize(15));
  }

  @Test
  void checkIndex() {
    assertEquals(0, BufferSizes.checkIndex("x", 0));
    assertEquals(14, BufferSizes.checkIndex("x", 14));
    assertEquals("bufferIndex must be in 0..14, was 15",
        assertThrows(IllegalArgumentException.class, () -> BufferSizes.checkIndex("bufferIndex", 15)).getMessage());
    assertEquals("x must be in 0..14, was -1",
        assertThrows(IllegalArgumentException.class, () -> BufferSizes.checkIndex("x", -1)).getMessage());
  }
}
