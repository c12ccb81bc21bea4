package dev.vconn.app.plugins;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** {@code /bytes/{n}}'s body source copies the pattern in runs; every byte still equals its offset's pattern byte. */
class PatternSourceTest {

  @Test
  void everyByteMatchesPatternByteForAnyReadSizeAndOffset() {
    // Read sizes around the 64-byte line and the 8128-byte run limit, so runs start and end mid-line.
    int[] sizes = {1, 7, 63, 64, 65, 4099, 8127, 8128, 8129, 16384, 20000};
    long total = 300_001;
    for (int size : sizes) {
      BuiltinRoutes.PatternSource source = new BuiltinRoutes.PatternSource(total);
      byte[] dst = new byte[size];
      long offset = 0;
      int n;
      while ((n = source.read(dst)) > 0) {
        for (int i = 0; i < n; i++) {
          if (dst[i] != BuiltinRoutes.patternByte(offset + i)) {
            assertEquals(BuiltinRoutes.patternByte(offset + i), dst[i], "read size " + size + ", byte " + (offset + i));
          }
        }
        offset += n;
      }
      assertEquals(-1, n, "end of body");
      assertEquals(total, offset, "read size " + size + ": every byte, no more");
    }
  }

  @Test
  void emptyBodyEndsAtOnce() {
    assertEquals(-1, new BuiltinRoutes.PatternSource(0).read(new byte[16]));
  }
}
