package dev.vconn.domain.buffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
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
  void a_pattern_split_over_two_and_three_blocks_is_found_at_every_offset() {
    // 128-byte blocks: a 3-byte pattern crosses one boundary at two offsets per block, a 130-byte one always spans
    // two boundaries (three blocks) wherever it starts.
    byte[] crlf = {'\n', '\r', '\n'};
    byte[] long130 = pattern(130, 7);
    long130[0] = '\n';
    for (byte[] needle : new byte[][] {crlf, long130}) {
      for (int consumed : new int[] {0, 5, 127}) {
        for (int at = 0; at < 3 * 128 + 4; at++) {
          try (IOBuffer b = new IOBuffer(pool, 0)) {
            IOBufferReader r = b.allocReader();
            b.write(new byte[consumed]);
            r.consume(consumed); // the read position is inside the first block, not at its start
            byte[] bytes = new byte[at + needle.length + 9];
            Arrays.fill(bytes, (byte) 'a');
            for (int i = 0; i < at; i += 3) {
              bytes[i] = '\n'; // near misses of the first byte before the occurrence
            }
            System.arraycopy(needle, 0, bytes, at, needle.length);
            b.write(bytes);
            String where = "consumed " + consumed + ", at " + at + ", length " + needle.length;
            assertEquals(at, r.indexOf(needle, 0, Long.MAX_VALUE), where);
            assertEquals(at, r.indexOf(needle, at, at + needle.length), where + ": exactly in range");
            assertEquals(-1, r.indexOf(needle, at, at + needle.length - 1), where + ": ends past the range");
            assertEquals(-1, r.indexOf(needle, at + 1, Long.MAX_VALUE), where + ": starts before from");
            assertEquals(bytes.length, r.readAvail(), "nothing consumed");
          }
        }
      }
    }
  }

  @Test
  void pattern_search_matches_a_naive_search_over_random_line_breaks_and_block_splits() {
    SplittableRandom random = new SplittableRandom(18);
    byte[] alphabet = {'\n', '\r', 'a'};
    byte[][] needles = {{'\n', '\r', '\n'}, {'\n', '\n'}, {'\r'}, {'\r', '\n', '\r', '\n'}};
    for (int round = 0; round < 40; round++) {
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
        for (byte[] needle : needles) {
          for (int from = 0; from <= bytes.length + 1; from++) {
            int to = random.nextInt(bytes.length + 8);
            assertEquals(naive(bytes, needle, from, to), r.indexOf(needle, from, to), from + ".." + to);
            assertEquals(naive(bytes, needle, from, Integer.MAX_VALUE), r.indexOf(needle, from, Long.MAX_VALUE));
          }
        }
        for (int from = 0; from <= bytes.length; from += 3) {
          assertEquals(naive(bytes, (byte) '\r', from, bytes.length), r.indexOf((byte) '\r', from, bytes.length));
        }
      }
    }
  }

  @Test
  void pattern_search_on_an_empty_reader_or_without_the_pattern_finds_nothing_and_refuses_bad_arguments() {
    try (IOBuffer b = new IOBuffer(pool, 0)) {
      IOBufferReader r = b.allocReader();
      byte[] crlf = {'\n', '\r', '\n'};
      assertEquals(-1, r.indexOf(crlf, 0, 10));
      b.write("GET / HTTP/1.1\r\nHost: a\r\n".repeat(20).getBytes(StandardCharsets.ISO_8859_1));
      assertEquals(-1, r.indexOf(crlf, 0, Long.MAX_VALUE));
      b.write(new byte[] {'\r', '\n'});
      long end = r.readAvail();
      assertEquals(end - 3, r.indexOf(crlf, 0, Long.MAX_VALUE));
      assertEquals(end - 3, r.indexOf(crlf, end - 3, end));
      assertEquals(-1, r.indexOf(crlf, end - 2, Long.MAX_VALUE));
      assertEquals(-1, r.indexOf(crlf, 0, end - 1));
      IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () -> r.indexOf(crlf, -1, 1));
      assertEquals("indexOf(from=-1): from must be >= 0", negative.getMessage());
      IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
          () -> r.indexOf(new byte[0], 0, 1));
      assertEquals("indexOf(pattern): the pattern must not be empty", empty.getMessage());
    }
  }

  private static long naive(byte[] bytes, byte[] needle, int from, int to) {
    int end = Math.min(to, bytes.length) - needle.length;
    outer:
    for (int i = from; i <= end; i++) {
      for (int k = 0; k < needle.length; k++) {
        if (bytes[i + k] != needle[k]) {
          continue outer;
        }
      }
      return i;
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
