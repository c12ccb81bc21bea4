package dev.vconn.domain.http2.hpack;

import static dev.vconn.domain.http2.hpack.HpackTestSupport.hex;
import static dev.vconn.domain.http2.hpack.HpackTestSupport.toHex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.ByteArrayOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every example of RFC 7541 Appendix C, with the dynamic table contents and size after each block. */
class HpackRfcExamplesTest {

  private static final HpackDecoder.Limits TABLE_256 = new HpackDecoder.Limits(256, 64 * 1024, 16 * 1024, 256 * 1024);

  private static HeaderField f(String name, String value) {
    return new HeaderField(name, value);
  }

  private static void assertBlock(HpackDecoder d, String block, List<HeaderField> fields, List<HeaderField> table,
      long tableSize) throws HpackException {
    byte[] b = hex(block);
    HpackDecoder.HeaderList list = d.decode(b, 0, b.length);
    assertEquals(fields, list.fields());
    assertFalse(list.exceedsListLimit());
    assertEquals(table, d.tableEntries());
    assertEquals(tableSize, d.tableSize());
  }

  private static String encodeInt(int pattern, int prefixBits, int value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    HpackEncoder.writeInt(out, pattern, prefixBits, value);
    return toHex(out.toByteArray());
  }

  // C.1 Integer Representation Examples

  @Test
  void c11EncodesTenWithFiveBitPrefix() throws HpackException {
    assertEquals("0a", encodeInt(0, 5, 10));
    assertEquals(10, HpackDecoder.decodeInteger(hex("0a"), 5));
  }

  @Test
  void c12Encodes1337WithFiveBitPrefix() throws HpackException {
    assertEquals("1f9a0a", encodeInt(0, 5, 1337));
    assertEquals(1337, HpackDecoder.decodeInteger(hex("1f9a0a"), 5));
  }

  @Test
  void c13Encodes42StartingAtAnOctetBoundary() throws HpackException {
    assertEquals("2a", encodeInt(0, 8, 42));
    assertEquals(42, HpackDecoder.decodeInteger(hex("2a"), 8));
  }

  // C.2 Header Field Representation Examples

  @Test
  void c21LiteralWithIndexing() throws HpackException {
    HpackDecoder d = new HpackDecoder(HpackDecoder.Limits.DEFAULT);
    assertBlock(d, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572",
        List.of(f("custom-key", "custom-header")), List.of(f("custom-key", "custom-header")), 55);
  }

  @Test
  void c22LiteralWithoutIndexing() throws HpackException {
    HpackDecoder d = new HpackDecoder(HpackDecoder.Limits.DEFAULT);
    assertBlock(d, "040c 2f73 616d 706c 652f 7061 7468", List.of(f(":path", "/sample/path")), List.of(), 0);
  }

  @Test
  void c23LiteralNeverIndexedIsReportedSensitive() throws HpackException {
    HpackDecoder d = new HpackDecoder(HpackDecoder.Limits.DEFAULT);
    assertBlock(d, "1008 7061 7373 776f 7264 0673 6563 7265 74",
        List.of(new HeaderField("password", "secret", true)), List.of(), 0);
  }

  @Test
  void c24Indexed() throws HpackException {
    HpackDecoder d = new HpackDecoder(HpackDecoder.Limits.DEFAULT);
    assertBlock(d, "82", List.of(f(":method", "GET")), List.of(), 0);
  }

  // C.3 Request Examples without Huffman Coding (one decoder: the table carries over)

  @Test
  void c3RequestsWithoutHuffman() throws HpackException {
    HpackDecoder d = new HpackDecoder(HpackDecoder.Limits.DEFAULT);
    requestSequence(d,
        "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
        "8286 84be 5808 6e6f 2d63 6163 6865",
        "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65");
  }

  // C.4 Request Examples with Huffman Coding

  @Test
  void c4RequestsWithHuffman() throws HpackException {
    HpackDecoder d = new HpackDecoder(HpackDecoder.Limits.DEFAULT);
    requestSequence(d,
        "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
        "8286 84be 5886 a8eb 1064 9cbf",
        "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf");
  }

  private static void requestSequence(HpackDecoder d, String first, String second, String third)
      throws HpackException {
    HeaderField authority = f(":authority", "www.example.com");
    HeaderField cacheControl = f("cache-control", "no-cache");
    HeaderField custom = f("custom-key", "custom-value");
    assertBlock(d, first,
        List.of(f(":method", "GET"), f(":scheme", "http"), f(":path", "/"), authority),
        List.of(authority), 57);
    assertBlock(d, second,
        List.of(f(":method", "GET"), f(":scheme", "http"), f(":path", "/"), authority, cacheControl),
        List.of(cacheControl, authority), 110);
    assertBlock(d, third,
        List.of(f(":method", "GET"), f(":scheme", "https"), f(":path", "/index.html"), authority, custom),
        List.of(custom, cacheControl, authority), 164);
  }

  // C.5 Response Examples without Huffman Coding (table size 256: entries are evicted)

  @Test
  void c5ResponsesWithoutHuffman() throws HpackException {
    HpackDecoder d = new HpackDecoder(TABLE_256);
    responseSequence(d,
        "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120"
            + "474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
        "4803 3330 37c1 c0bf",
        "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738"
            + "666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765"
            + "3d33 3630 303b 2076 6572 7369 6f6e 3d31");
  }

  // C.6 Response Examples with Huffman Coding

  @Test
  void c6ResponsesWithHuffman() throws HpackException {
    HpackDecoder d = new HpackDecoder(TABLE_256);
    responseSequence(d,
        "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718"
            + "63c7 8f0b 97c8 e9ae 82ae 43d3",
        "4883 640e ffc1 c0bf",
        "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7"
            + "b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07");
  }

  private static void responseSequence(HpackDecoder d, String first, String second, String third)
      throws HpackException {
    HeaderField status302 = f(":status", "302");
    HeaderField status307 = f(":status", "307");
    HeaderField cachePrivate = f("cache-control", "private");
    HeaderField date21 = f("date", "Mon, 21 Oct 2013 20:13:21 GMT");
    HeaderField date22 = f("date", "Mon, 21 Oct 2013 20:13:22 GMT");
    HeaderField location = f("location", "https://www.example.com");
    HeaderField gzip = f("content-encoding", "gzip");
    HeaderField cookie = f("set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1");
    assertBlock(d, first, List.of(status302, cachePrivate, date21, location),
        List.of(location, date21, cachePrivate, status302), 222);
    assertBlock(d, second, List.of(status307, cachePrivate, date21, location),
        List.of(status307, location, date21, cachePrivate), 222);
    assertBlock(d, third, List.of(f(":status", "200"), cachePrivate, date22, location, gzip, cookie),
        List.of(cookie, gzip, date22), 215);
  }

  // The Huffman encoder produces the RFC's encodings of C.4 and C.6 strings.

  @Test
  void huffmanEncodingsOfAppendixCStrings() {
    assertEquals("f1e3c2e5f23a6ba0ab90f4ff", huffman("www.example.com"));
    assertEquals("a8eb10649cbf", huffman("no-cache"));
    assertEquals("25a849e95ba97d7f", huffman("custom-key"));
    assertEquals("25a849e95bb8e8b4bf", huffman("custom-value"));
    assertEquals("6402", huffman("302"));
    assertEquals("aec3771a4b", huffman("private"));
    assertEquals("d07abe941054d444a8200595040b8166e082a62d1bff", huffman("Mon, 21 Oct 2013 20:13:21 GMT"));
    assertEquals("9d29ad171863c78f0b97c8e9ae82ae43d3", huffman("https://www.example.com"));
    assertEquals("9bd9ab", huffman("gzip"));
    assertEquals("94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007",
        huffman("foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"));
  }

  private static String huffman(String s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Huffman.encode(s, out);
    assertEquals(out.size(), Huffman.encodedLength(s));
    return toHex(out.toByteArray());
  }
}
