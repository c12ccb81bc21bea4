package dev.vconn.domain.buffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** IOBufferReader.indexOf: a search over the readable bytes, across blocks, that consumes and copies nothing. */
class IOBufferReaderIndexOfTest extends BufferTestSupport {

  @Test
  void finds_every_occurrence_across_128_byte_blocks_as_a_byte_by_byte_search_does() {
    try (IOBuffer b = new IOBuffer(pool, 0)) {
      IOBufferReader r = b.allocReader();
      byte[] skipped = "skipped!".getBytes(StandardCharsets.ISO_8859_1);
      b.write(skipped);
      r.consume(skipped.length); // the read position is inside the first block
      StringBuilder text = new StringBuilder();
      for (int i = 0; text.length() < 700; i++) {
        text.append("line ").append(i).append(i % 5 == 0 ? "\r\n" : "\n");
      }
      byte[] bytes = text.toString().getBytes(StandardCharsets.ISO_8859_1);
      for (int at = 0; at < bytes.length; at += 37) { // writes that do not line up with blocks
        b.write(bytes, at, Math.min(37, bytes.length - at));
      }
      assertEquals(bytes.length, r.readAvail());
      for (int from = 0; from <= bytes.length + 1; from++) {
        for (int to : new int[] {from, from + 1, from + 130, bytes.length, bytes.length + 50}) {
          assertEquals(naive(bytes, (byte) '\n', from, to), r.indexOf((byte) '\n', from, to), from + ".." + to);
        }
      }
      assertEquals(-1, r.indexOf((byte) 'Z', 0, Long.MAX_VALUE));
      assertEquals(bytes.length, r.readAvail(), "nothing consumed");
    }
  }

  @Test
  void an_empty_reader_finds_nothing_and_a_negative_start_is_refused_naming_it() {
    try (IOBuffer b = new IOBuffer(pool, 0)) {
      IOBufferReader r = b.allocReader();
      assertEquals(-1, r.indexOf((byte) '\n', 0, 10));
      b.write(new byte[] {'\n'});
      assertEquals(0, r.indexOf((byte) '\n', 0, 10));
      assertEquals(-1, r.indexOf((byte) '\n', 1, 10));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.indexOf((byte) 1, -1, 1));
      assertEquals("indexOf(from=-1): from must be >= 0", e.getMessage());
    }
  }

  private static long naive(byte[] bytes, byte value, int from, int to) {
    for (int i = from; i < Math.min(to, bytes.length); i++) {
      if (bytes[i] == value) {
        return i;
      }
    }
    return -1;
  }
}
