package dev.vconn.domain.http2.hpack;

import static dev.vconn.domain.http2.hpack.HpackTestSupport.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Malformed header blocks and exceeded limits raise {@link HpackException} (COMPRESSION_ERROR). */
class HpackMalformedInputTest {

  private static HpackException decodeFails(HpackDecoder d, String block) {
    byte[] b = hex(block);
    return assertThrows(HpackException.class, () -> d.decode(b, 0, b.length));
  }

  private static HpackException decodeFails(String block) {
    return decodeFails(new HpackDecoder(HpackDecoder.Limits.DEFAULT), block);
  }

  @Test
  void truncatedIntegerIsRejected() {
    // Indexed field, 7-bit prefix all ones, continuation bit set, then the block ends.
    assertTrue(decodeFails("ff 80").getMessage().contains("ends inside an integer"));
    assertTrue(decodeFails("ff").getMessage().contains("ends inside an integer"));
  }

  @Test
  void integerOverflowIsRejected() {
    // 127 + 0x7f<<0 + ... + 0x7f<<28 exceeds 2^31-1.
    assertTrue(decodeFails("ff ff ff ff ff 7f").getMessage().contains("integer exceeds"));
    // Endless zero-valued continuation octets cannot hide a huge integer either.
    assertTrue(decodeFails("ff 80 80 80 80 80 80 00").getMessage().contains("integer exceeds"));
    assertThrows(HpackException.class, () -> HpackDecoder.decodeInteger(hex("1f ff ff ff ff 0f"), 5));
  }

  @Test
  void largestIntegerIsAccepted() throws HpackException {
    // 2^31-1 with a 5-bit prefix: 31 + 2147483616.
    assertEquals(Integer.MAX_VALUE, HpackDecoder.decodeInteger(hex("1f e0 ff ff ff 07"), 5));
  }

  @Test
  void huffmanPaddingLongerThanSevenBitsIsRejected() {
    // Literal without indexing, name index 1 (:authority), Huffman value of 2 octets: 'a' (00011) + 11 one bits.
    assertTrue(decodeFails("01 82 1f ff").getMessage().contains("padding longer than 7 bits"));
    // A whole octet of EOS bits is padding of exactly 8 bits: one too many.
    assertTrue(decodeFails("01 81 ff").getMessage().contains("padding longer than 7 bits"));
  }

  @Test
  void huffmanPaddingThatIsNotEosPrefixIsRejected() {
    // 'a' (00011) followed by the padding 010: not all ones.
    assertTrue(decodeFails("01 81 1a").getMessage().contains("most significant bits of EOS"));
  }

  @Test
  void huffmanEosSymbolIsRejected() {
    // EOS is 30 one bits; followed by two one bits of padding.
    assertTrue(decodeFails("01 84 ff ff ff ff").getMessage().contains("EOS symbol"));
  }

  @Test
  void indexZeroIsRejected() {
    assertTrue(decodeFails("80").getMessage().contains("index 0"));
  }

  @Test
  void indexBeyondTheTablesIsRejected() {
    // 62 is the first dynamic index; the dynamic table is empty.
    assertTrue(decodeFails("be").getMessage().contains("index 62 is beyond"));
    // Literal whose name index is out of range.
    assertTrue(decodeFails("7f 10 00").getMessage().contains("beyond"));
  }

  @Test
  void sizeUpdateAboveTheLimitIsRejected() {
    // 3f e1 1f = size update to 4097 with a 4096 limit.
    assertTrue(decodeFails("3f e2 1f").getMessage().contains("exceeds the limit 4096"));
  }

  @Test
  void sizeUpdateAfterAFieldIsRejected() {
    assertTrue(decodeFails("82 20").getMessage().contains("after a header field"));
  }

  @Test
  void twoSizeUpdatesAtTheStartAreAccepted() throws HpackException {
    HpackDecoder d = new HpackDecoder(HpackDecoder.Limits.DEFAULT);
    byte[] b = hex("20 3f e1 0f 82");
    assertEquals(List.of(new HeaderField(":method", "GET")), d.decode(b, 0, b.length).fields());
    assertEquals(2048, d.tableMaxSize());
  }

  @Test
  void loweredSettingRequiresSizeUpdateAtTheNextBlockStart() throws HpackException {
    HpackDecoder d = new HpackDecoder(HpackDecoder.Limits.DEFAULT);
    d.setMaxTableSize(100);
    assertTrue(decodeFails(d, "82").getMessage().contains("must start with a dynamic table size update"));

    HpackDecoder ok = new HpackDecoder(HpackDecoder.Limits.DEFAULT);
    ok.setMaxTableSize(100);
    assertTrue(decodeFails(ok, "3f 46").getMessage().contains("exceeds the limit 100"));
    HpackDecoder ok2 = new HpackDecoder(HpackDecoder.Limits.DEFAULT);
    ok2.setMaxTableSize(100);
    byte[] b = hex("3f 45 82");
    assertEquals(1, ok2.decode(b, 0, b.length).fields().size());
    assertEquals(100, ok2.tableMaxSize());
  }

  @Test
  void stringRunningPastTheBlockIsRejected() {
    assertTrue(decodeFails("01 05 61 62").getMessage().contains("runs past the end"));
    assertTrue(decodeFails("00").getMessage().contains("before a string literal"));
  }

  @Test
  void stringLongerThanTheLimitIsRejected() {
    HpackDecoder d = new HpackDecoder(new HpackDecoder.Limits(4096, 1024, 3, 4096));
    assertTrue(decodeFails(d, "01 04 61 62 63 64").getMessage().contains("exceeds the limit 3"));
    // Huffman-coded: "aaaa" is 20 bits, 3 octets, but decodes to 4 octets.
    assertTrue(decodeFails(d, "01 83 18 c6 3f").getMessage().contains("more than 3 octets"));
  }

  @Test
  void headerListAboveTheLimitIsDecodedButFlagged() throws HpackException {
    HpackDecoder d = new HpackDecoder(new HpackDecoder.Limits(4096, 100, 1024, 1000));
    // Literal with indexing custom-key: custom-header (55) + :method GET (42) + :method GET (42) = 139 > 100.
    byte[] b = hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572 82 82");
    HpackDecoder.HeaderList list = d.decode(b, 0, b.length);
    assertTrue(list.exceedsListLimit());
    assertEquals(List.of(), list.fields());
    assertEquals(139, list.listSize());
    // The table stays in sync: the next block can refer to the entry added by the flagged one.
    byte[] next = hex("be");
    assertEquals(List.of(new HeaderField("custom-key", "custom-header")), d.decode(next, 0, next.length).fields());
  }

  @Test
  void decompressionBombIsStopped() {
    // One 4000-octet value in the table, then 1-octet references to it: each decodes to over 4 KiB.
    HpackDecoder d = new HpackDecoder(new HpackDecoder.Limits(4096, 8192, 8192, 64 * 1024));
    StringBuilder block = new StringBuilder("40 01 78 7f a1 1e");
    block.append("61".repeat(4000));
    block.append(" be".repeat(20));
    HpackException e = decodeFails(d, block.toString());
    assertTrue(e.getMessage().contains("decompression bound"), e.getMessage());
  }

  @Test
  void blockRangeOutsideTheArrayIsMisuse() {
    HpackDecoder d = new HpackDecoder(HpackDecoder.Limits.DEFAULT);
    assertThrows(IndexOutOfBoundsException.class, () -> d.decode(new byte[2], 1, 2));
  }

  @Test
  void blockDecodesFromAnOffset() throws HpackException {
    HpackDecoder d = new HpackDecoder(HpackDecoder.Limits.DEFAULT);
    assertEquals(List.of(new HeaderField(":method", "GET")), d.decode(hex("ff 82 ff"), 1, 1).fields());
  }

  @Test
  void limitsAreValidated() {
    assertThrows(IllegalArgumentException.class, () -> new HpackDecoder.Limits(-1, 1, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new HpackDecoder.Limits(0, 0, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new HpackDecoder.Limits(0, 1, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> new HpackDecoder.Limits(0, 10, 1, 9));
  }
}
