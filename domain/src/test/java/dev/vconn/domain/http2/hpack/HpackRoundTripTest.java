package dev.vconn.domain.http2.hpack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Seeded random header lists survive encoder then decoder, across table size changes; the encoder's choices. */
class HpackRoundTripTest {

  private static final String[] NAMES = {":method", ":path", ":authority", ":status", "accept", "cookie",
      "authorization", "user-agent", "x-custom", "x-trace-id", "content-length", "set-cookie", "proxy-authorization"};

  @Test
  void randomHeaderListsRoundTripAcrossTableSizeChanges() throws HpackException {
    for (long seed = 1; seed <= 50; seed++) {
      Random random = new Random(seed);
      HpackEncoder encoder = new HpackEncoder();
      HpackDecoder decoder = new HpackDecoder(new HpackDecoder.Limits(4096, 1 << 20, 1 << 16, 1 << 22));
      for (int block = 0; block < 40; block++) {
        if (random.nextInt(8) == 0) {
          int size = random.nextInt(5000);
          encoder.setMaxTableSize(size);
          decoder.setMaxTableSize(Math.min(size, 4096));
        }
        List<HeaderField> fields = randomFields(random);
        byte[] encoded = encoder.encode(fields);
        HpackDecoder.HeaderList decoded = decoder.decode(encoded, 0, encoded.length);
        String context = "seed " + seed + " block " + block;
        assertEquals(fields.size(), decoded.fields().size(), context);
        for (int i = 0; i < fields.size(); i++) {
          assertEquals(fields.get(i).name(), decoded.fields().get(i).name(), context);
          assertEquals(fields.get(i).value(), decoded.fields().get(i).value(), context);
        }
        assertEquals(encoder.tableSize(), decoder.tableSize(), context);
      }
    }
  }

  private static List<HeaderField> randomFields(Random random) {
    List<HeaderField> fields = new ArrayList<>();
    int n = random.nextInt(12);
    for (int i = 0; i < n; i++) {
      String name = random.nextInt(4) == 0 ? randomOctets(random, 1 + random.nextInt(20))
          : NAMES[random.nextInt(NAMES.length)];
      String value = random.nextInt(3) == 0 ? "v" + random.nextInt(4) : randomOctets(random, random.nextInt(300));
      fields.add(new HeaderField(name, value, random.nextInt(10) == 0));
    }
    return fields;
  }

  private static String randomOctets(Random random, int len) {
    char[] c = new char[len];
    for (int i = 0; i < len; i++) {
      // Mostly printable ASCII (short Huffman codes), sometimes any octet (long codes).
      c[i] = random.nextInt(5) == 0 ? (char) random.nextInt(256) : (char) (0x20 + random.nextInt(0x5f));
    }
    return new String(c);
  }

  @Test
  void everySingleOctetRoundTripsThroughHuffman() throws HpackException {
    for (int sym = 0; sym < 256; sym++) {
      String s = String.valueOf((char) sym).repeat(3);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      Huffman.encode(s, out);
      byte[] b = out.toByteArray();
      assertEquals(s, new String(Huffman.decode(b, 0, b.length, 100), java.nio.charset.StandardCharsets.ISO_8859_1));
    }
  }

  @Test
  void huffmanTableMatchesRfcSamplesAndIsComplete() {
    // Rows of RFC 7541 Appendix B.
    assertEquals(0x1ff8, Huffman.code(0));
    assertEquals(13, Huffman.length(0));
    assertEquals(0x7fffd8, Huffman.code(1));
    assertEquals(0x3ffffffc, Huffman.code(10));
    assertEquals(30, Huffman.length(10));
    assertEquals(0x14, Huffman.code(' '));
    assertEquals(0x0, Huffman.code('0'));
    assertEquals(0x3, Huffman.code('a'));
    assertEquals(0x7ffc, Huffman.code('<'));
    assertEquals(0x3ffffee, Huffman.code(255));
    assertEquals(0x3fffffff, Huffman.code(Huffman.EOS));
    // A complete prefix code: Kraft sum exactly 1.
    long kraft = 0;
    for (int sym = 0; sym <= Huffman.EOS; sym++) {
      kraft += 1L << (30 - Huffman.length(sym));
    }
    assertEquals(1L << 30, kraft);
  }

  @Test
  void sensitiveFieldsAreNeverIndexed() throws HpackException {
    HpackEncoder encoder = new HpackEncoder();
    HpackDecoder decoder = new HpackDecoder(HpackDecoder.Limits.DEFAULT);
    List<HeaderField> fields = List.of(new HeaderField("authorization", "Basic dXNlcjpwYXNz"),
        new HeaderField("cookie", "sid=42"), new HeaderField("x-secret", "s3", true),
        new HeaderField("proxy-authorization", "Bearer t"));
    for (int i = 0; i < 2; i++) {
      byte[] b = encoder.encode(fields);
      List<HeaderField> decoded = decoder.decode(b, 0, b.length).fields();
      decoded.forEach(f -> assertTrue(f.sensitive(), f.name()));
      // authorization: never-indexed literal with static name index 23 (0001 1111 0000 1000 is 15 + 8).
      assertEquals(0x1f, b[0] & 0xFF);
      assertEquals(0x08, b[1] & 0xFF);
    }
    assertEquals(0, encoder.tableSize());
    assertEquals(0, decoder.tableSize());
  }

  @Test
  void repeatedFieldsBecomeOneOctetIndices() {
    HpackEncoder encoder = new HpackEncoder();
    List<HeaderField> fields = List.of(new HeaderField(":method", "GET"), new HeaderField("x-custom", "value"));
    encoder.encode(fields);
    // :method GET is static index 2; x-custom: value is the newest dynamic entry, index 62.
    assertEquals("82be", HpackTestSupport.toHex(encoder.encode(fields)));
  }

  @Test
  void pathIsNotIndexedButUsesTheStaticName() {
    HpackEncoder encoder = new HpackEncoder();
    byte[] b = encoder.encode(List.of(new HeaderField(":path", "/a")));
    // Literal without indexing, name index 4, raw "/a" (Huffman would not be shorter).
    assertEquals("04022f61", HpackTestSupport.toHex(b));
    assertEquals(0, encoder.tableSize());
  }

  @Test
  void tableSizeChangesAreSignalledAtTheNextBlockStart() throws HpackException {
    HpackEncoder encoder = new HpackEncoder();
    encoder.setMaxTableSize(0);
    encoder.setMaxTableSize(1024);
    // Smallest size first, then the final one (RFC 7541, section 4.2), then :method GET.
    assertEquals("203fe10782", HpackTestSupport.toHex(encoder.encode(List.of(new HeaderField(":method", "GET")))));
    assertEquals("82", HpackTestSupport.toHex(encoder.encode(List.of(new HeaderField(":method", "GET")))));
    HpackEncoder capped = new HpackEncoder(100);
    assertEquals("3f45", HpackTestSupport.toHex(capped.encode(List.of())));
  }

  @Test
  void nonOctetCharsAreRefused() {
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> new HeaderField("x", "\u20ac"));
  }
}
