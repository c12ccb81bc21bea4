package dev.vconn.domain.http2.hpack;

import java.io.ByteArrayOutputStream;

/**
 * The static Huffman code of RFC 7541 Appendix B. That code is canonical (codes of one length are consecutive and
 * ordered by symbol, shorter codes first), so the table below holds only each symbol's code length; the codes
 * themselves, the decoding limits per length and an 8-bit lookup table for the short codes are derived from it.
 */
final class Huffman {

  /** Symbol 256, which must never appear in an encoded string (RFC 7541, section 5.2). */
  static final int EOS = 256;

  /** Code length in bits of symbols 0..256 (RFC 7541 Appendix B, column "len"). */
  private static final byte[] LENGTHS = {
      13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
      28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
      6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
      5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
      13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
      7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
      15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
      6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
      20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
      24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
      22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
      21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
      26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
      19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
      20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
      26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
      30,
  };

  private static final int MAX_LENGTH = 30;
  private static final int FAST_BITS = 8;

  /** Code of each symbol, right-aligned. */
  private static final int[] CODES = new int[EOS + 1];
  /** For each length L: one past the largest code of length L (canonical decoding limit). */
  private static final long[] LIMIT = new long[MAX_LENGTH + 1];
  /** For each length L: the first code of length L and its position in {@link #SORTED}. */
  private static final long[] FIRST_CODE = new long[MAX_LENGTH + 1];
  private static final int[] FIRST_INDEX = new int[MAX_LENGTH + 1];
  /** Symbols ordered by (length, symbol). */
  private static final int[] SORTED = new int[EOS + 1];
  /** Top 8 bits to (symbol << 8 | length) for codes of at most 8 bits, 0 where the code is longer. */
  private static final int[] FAST = new int[1 << FAST_BITS];

  static {
    int[] count = new int[MAX_LENGTH + 1];
    for (byte len : LENGTHS) {
      count[len]++;
    }
    long code = 0;
    int index = 0;
    for (int len = 1; len <= MAX_LENGTH; len++) {
      FIRST_CODE[len] = code;
      FIRST_INDEX[len] = index;
      LIMIT[len] = code + count[len];
      index += count[len];
      code = (code + count[len]) << 1;
    }
    int[] next = new int[MAX_LENGTH + 1];
    for (int sym = 0; sym <= EOS; sym++) {
      int len = LENGTHS[sym];
      int pos = FIRST_INDEX[len] + next[len]++;
      SORTED[pos] = sym;
      CODES[sym] = (int) (FIRST_CODE[len] + (pos - FIRST_INDEX[len]));
      if (len <= FAST_BITS) {
        int base = CODES[sym] << (FAST_BITS - len);
        for (int suffix = 0; suffix < 1 << (FAST_BITS - len); suffix++) {
          FAST[base | suffix] = sym << 8 | len;
        }
      }
    }
  }

  private Huffman() {}

  /** The code of a symbol, right-aligned (for tests against the RFC's table). */
  static int code(int symbol) {
    return CODES[symbol];
  }

  /** The code length of a symbol in bits. */
  static int length(int symbol) {
    return LENGTHS[symbol];
  }

  /** Octets the Huffman encoding of {@code s} takes, padding included. */
  static int encodedLength(String s) {
    long bits = 0;
    for (int i = 0; i < s.length(); i++) {
      bits += LENGTHS[s.charAt(i) & 0xFF];
    }
    return (int) ((bits + 7) >>> 3);
  }

  /** Appends the Huffman encoding of {@code s}, padded with the most significant bits of EOS (all ones). */
  static void encode(String s, ByteArrayOutputStream out) {
    long acc = 0;
    int bits = 0;
    for (int i = 0; i < s.length(); i++) {
      int sym = s.charAt(i) & 0xFF;
      acc = acc << LENGTHS[sym] | CODES[sym];
      bits += LENGTHS[sym];
      while (bits >= 8) {
        bits -= 8;
        out.write((int) (acc >>> bits));
      }
    }
    if (bits > 0) {
      out.write((int) (acc << (8 - bits)) | (0xFF >>> bits));
    }
  }

  /**
   * Decodes {@code len} octets of {@code src} from {@code off}.
   *
   * @param maxOctets the longest decoded string accepted
   * @return the decoded octets
   * @throws HpackException on EOS in the string, padding longer than 7 bits or not all ones, or a string decoding
   *     to more than {@code maxOctets}
   */
  static byte[] decode(byte[] src, int off, int len, int maxOctets) throws HpackException {
    // Codes are at least 5 bits long, so the output is at most len * 8 / 5 octets.
    int bound = (int) Math.min((long) len * 8 / 5, (long) maxOctets + 1);
    byte[] out = new byte[bound];
    int n = 0;
    long acc = 0;
    int bits = 0;
    int pos = off;
    int end = off + len;
    while (true) {
      while (bits <= 56 && pos < end) {
        acc = acc << 8 | (src[pos++] & 0xFF);
        bits += 8;
      }
      if (bits == 0) {
        break;
      }
      int sym = -1;
      int symLen = 0;
      if (bits >= FAST_BITS) {
        int e = FAST[(int) (acc >>> (bits - FAST_BITS)) & 0xFF];
        if (e != 0) {
          sym = e >>> 8;
          symLen = e & 0xFF;
        }
      }
      if (sym < 0) {
        int maxLen = Math.min(bits, MAX_LENGTH);
        for (int l = 5; l <= maxLen; l++) {
          long top = acc >>> (bits - l) & ((1L << l) - 1);
          if (top < LIMIT[l]) {
            sym = SORTED[FIRST_INDEX[l] + (int) (top - FIRST_CODE[l])];
            symLen = l;
            break;
          }
        }
      }
      if (sym < 0) {
        // Input exhausted in the middle of a code: the rest must be padding.
        if (bits > 7) {
          throw new HpackException("Huffman string has padding longer than 7 bits (RFC 7541, section 5.2)");
        }
        long mask = (1L << bits) - 1;
        if ((acc & mask) != mask) {
          throw new HpackException("Huffman string padding is not the most significant bits of EOS "
              + "(RFC 7541, section 5.2)");
        }
        break;
      }
      if (sym == EOS) {
        throw new HpackException("Huffman string contains the EOS symbol (RFC 7541, section 5.2)");
      }
      if (n == maxOctets) {
        throw new HpackException("Huffman string decodes to more than " + maxOctets + " octets");
      }
      out[n++] = (byte) sym;
      bits -= symLen;
    }
    if (n == out.length) {
      return out;
    }
    byte[] exact = new byte[n];
    System.arraycopy(out, 0, exact, 0, n);
    return exact;
  }
}
