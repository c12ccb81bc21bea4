package dev.vconn.domain.buffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
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

  @Test
  void an_empty_line_split_over_two_blocks_is_found_at_every_offset() {
    // 128-byte blocks: the line end starts at every offset of three blocks, so each of its bytes lands in the next
    // block somewhere; near misses (CR LF, LF CR, LF a, CR CR LF) come before it.
    byte[] misses = "a\r\na\n\ra\na\r\r\na".getBytes(StandardCharsets.ISO_8859_1);
    for (String form : new String[] {"\n\n", "\n\r\n"}) {
      byte[] end = form.getBytes(StandardCharsets.ISO_8859_1);
      for (int consumed : new int[] {0, 5, 127}) {
        for (int at = 0; at < 3 * 128 + 4; at++) {
          try (IOBuffer b = new IOBuffer(pool, 0)) {
            IOBufferReader r = b.allocReader();
            b.write(new byte[consumed]);
            r.consume(consumed); // the read position is inside the first block, not at its start
            byte[] bytes = new byte[at + end.length + 9];
            for (int i = 0; i < at; i++) {
              bytes[i] = misses[i % misses.length];
            }
            if (at > 0) {
              bytes[at - 1] = 'a'; // no line end starts before "at" (LF LF LF, LF CR LF LF)
            }
            System.arraycopy(end, 0, bytes, at, end.length);
            java.util.Arrays.fill(bytes, at + end.length, bytes.length, (byte) 'b');
            b.write(bytes);
            String where = "consumed " + consumed + ", at " + at + ", " + form.replace("\r", "CR").replace("\n", "LF");
            assertEquals(at, r.indexOfEmptyLine(0, Long.MAX_VALUE), where);
            assertEquals(at, r.indexOfEmptyLine(at, at + end.length), where + ": exactly in range");
            assertEquals(-1, r.indexOfEmptyLine(at, at + end.length - 1), where + ": ends past the range");
            assertEquals(-1, r.indexOfEmptyLine(at + 1, Long.MAX_VALUE), where + ": starts before from");
            assertEquals(bytes.length, r.readAvail(), "nothing consumed");
          }
        }
      }
    }
  }

  @Test
  void the_empty_line_search_matches_a_naive_search_over_random_line_breaks_and_block_splits() {
    SplittableRandom random = new SplittableRandom(18);
    byte[] alphabet = {'\n', '\r', 'a', 'a', 'a'};
    for (int round = 0; round < 60; round++) {
      BlockPool which = round % 2 == 0 ? pool : heapPool;
      try (IOBuffer b = new IOBuffer(which, 0)) {
        IOBufferReader r = b.allocReader();
        int consumed = random.nextInt(200);
        b.write(new byte[consumed]);
        r.consume(consumed);
        byte[] bytes = new byte[random.nextInt(1, 600)];
        for (int i = 0; i < bytes.length; i++) {
          bytes[i] = alphabet[random.nextInt(alphabet.length)];
        }
        for (int at = 0; at < bytes.length; ) { // writes that do not line up with blocks
          int n = Math.min(random.nextInt(1, 90), bytes.length - at);
          b.write(bytes, at, n);
          at += n;
        }
        for (int from = 0; from <= bytes.length + 1; from++) {
          int to = random.nextInt(bytes.length + 8);
          assertEquals(naiveEmptyLine(bytes, from, to), r.indexOfEmptyLine(from, to), from + ".." + to);
          assertEquals(naiveEmptyLine(bytes, from, Integer.MAX_VALUE), r.indexOfEmptyLine(from, Long.MAX_VALUE));
        }
        for (int from = 0; from <= bytes.length; from += 3) {
          assertEquals(naive(bytes, (byte) '\r', from, bytes.length), r.indexOf((byte) '\r', from, bytes.length));
        }
      }
    }
  }

  @Test
  void the_empty_line_search_on_an_empty_reader_or_without_one_finds_nothing_and_refuses_a_negative_start() {
    try (IOBuffer b = new IOBuffer(pool, 0)) {
      IOBufferReader r = b.allocReader();
      assertEquals(-1, r.indexOfEmptyLine(0, 10));
      b.write("GET / HTTP/1.1\r\nHost: a\r\n".repeat(20).getBytes(StandardCharsets.ISO_8859_1));
      assertEquals(-1, r.indexOfEmptyLine(0, Long.MAX_VALUE));
      b.write(new byte[] {'\r', '\n'});
      long end = r.readAvail();
      assertEquals(end - 3, r.indexOfEmptyLine(0, Long.MAX_VALUE));
      assertEquals(end - 3, r.indexOfEmptyLine(end - 3, end));
      assertEquals(-1, r.indexOfEmptyLine(end - 2, Long.MAX_VALUE));
      assertEquals(-1, r.indexOfEmptyLine(0, end - 1));
      IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
          () -> r.indexOfEmptyLine(-1, 1));
      assertEquals("indexOfEmptyLine(from=-1): from must be >= 0", negative.getMessage());
    }
  }

  /** The first LF in [from, to) that starts LF LF or LF CR LF ending before to, or -1. */
  private static long naiveEmptyLine(byte[] bytes, int from, int to) {
    int end = Math.min(to, bytes.length);
    for (int i = from; i < end; i++) {
      if (bytes[i] != '\n') {
        continue;
      }
      if (i + 2 <= end && bytes[i + 1] == '\n' || i + 3 <= end && bytes[i + 1] == '\r' && bytes[i + 2] == '\n') {
        return i;
      }
    }
    return -1;
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
