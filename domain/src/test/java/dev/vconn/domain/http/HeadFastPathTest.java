package dev.vconn.domain.http;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fast paths of header work decide exactly as the general code: a plain field line read in one pass (value bytes
 * eight at a time) against the general line reader, name codes against {@link String#equalsIgnoreCase}, and the
 * Connection option filter against the full comparison, each with the attack bytes the rules exist for.
 */
class HeadFastPathTest extends HttpTestSupport {
  private final HttpHeadParser parser = new HttpHeadParser();
  private final ProxyHeaderRules rules = new ProxyHeaderRules("edge");

  private static final String START = "GET / HTTP/1.1\r\nHost: a\r\n";

  // ------------------------------------------------------------------------------------------------ name codes

  @Test
  void every_hop_by_hop_and_framing_name_has_its_code_in_any_case() {
    for (String name : ProxyHeaderRules.HOP_BY_HOP) {
      for (String spelling : spellings(name)) {
        assertTrue(HttpHeaders.isHopByHopCode(HttpHeaders.nameCode(spelling)), spelling);
        assertTrue(HttpHeaders.isHopByHopCode(codeOfBytes(spelling)), spelling);
      }
    }
    for (String name : ProxyHeaderRules.FRAMING) {
      for (String spelling : spellings(name)) {
        assertTrue(HttpHeaders.isFramingCode(HttpHeaders.nameCode(spelling)), spelling);
        assertTrue(HttpHeaders.isFramingCode(codeOfBytes(spelling)), spelling);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"Connectio", "Connections", "Keep-Alive2", "T", "Tee", "TE2", "Trailers",
      "Upgrade-Insecure-Requests", "Transfer-Encodin", "Transfer_Encoding", "Content-Length2", "Content_Length",
      "Content.Length", "Hos", "Hosts", "Hust", "Proxy-Connect", "Proxy-Authorizatio", "X-Forwarded-Fo", "Vias",
      "Expects", "ConnectioN2", "Contentlength"})
  void a_name_near_a_coded_one_has_no_code(String name) {
    assertEquals(HttpHeaders.NAME_OTHER, HttpHeaders.nameCode(name), name);
    assertEquals(HttpHeaders.NAME_OTHER, codeOfBytes(name), name);
  }

  @Test
  void a_byte_that_differs_from_a_dash_only_in_the_case_bit_is_not_a_dash() {
    // '-' is 0x2D, CR is 0x0D: they differ only in the bit that separates the cases of letters.
    assertEquals(HttpHeaders.NAME_OTHER, codeOfBytes("content\rlength"));
    assertEquals(HttpHeaders.NAME_OTHER, codeOfBytes("keep\ralive"));
    assertEquals(HttpHeaders.NAME_CONTENT_LENGTH, codeOfBytes("cOnTeNt-LeNgTh"));
  }

  private static int codeOfBytes(String name) {
    byte[] b = ("..." + name).getBytes(ISO_8859_1);
    return HttpHeaders.nameCode(b, 3, b.length);
  }

  private static List<String> spellings(String lower) {
    StringBuilder alternating = new StringBuilder();
    for (int i = 0; i < lower.length(); i++) {
      char c = lower.charAt(i);
      alternating.append(i % 2 == 0 ? Character.toUpperCase(c) : c);
    }
    return List.of(lower, lower.toUpperCase(Locale.ROOT), alternating.toString());
  }

  /**
   * Lookups by a name with a code answer what {@link String#equalsIgnoreCase} answers on each field, also for a name
   * spelled with characters outside ASCII that fold onto ASCII letters (U+017F LONG S is 's' upper-cased, U+212A
   * KELVIN SIGN is 'k' lower-cased), on received lines, built fields and both after edits.
   */
  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void lookups_answer_as_equalsIgnoreCase_on_every_field(boolean fromBytes) {
    String lines = "hOsT: a|Connection: close, Keep-Alive|X-Other: 1|Via: 1.0 up|keep-alive: 5|Content-Length: 0"
        + "|TE: trailers|Trailer: x|Upgrade-Insecure-Requests: 1|x-forwarded-for: 1.2.3.4";
    List<String> queries = List.of("Host", "HOST", "Ho\u017Ft", "host2", "\u212Aeep-Alive", "keep-alive",
        "Connection", "connection ", "TE", "te", "Trailer", "Upgrade", "Via", "X-Forwarded-For", "Content-Length",
        "X-Other", "Expect", "", "\u017F");
    HttpHeaders h = fromBytes ? ReceivedHeadersTest.received(lines) : ReceivedHeadersTest.built(lines);
    checkLookups(h, queries);
    h.set("Via", "1.1 edge");
    h.add("host", "b");
    h.remove("TE");
    h.set("HOST", "c"); // replaces every Host
    checkLookups(h, queries);
    assertEquals(1, h.getAll("HOST").size());
    assertEquals("c", h.get("host"));
  }

  private static void checkLookups(HttpHeaders h, List<String> queries) {
    for (String q : queries) {
      List<String> expected = new ArrayList<>();
      for (HttpHeaders.Field f : h.fields()) {
        if (f.name().equalsIgnoreCase(q)) {
          expected.add(f.value());
        }
      }
      assertEquals(expected, h.getAll(q), q);
      assertEquals(expected.isEmpty() ? null : expected.get(0), h.get(q), q);
      assertEquals(!expected.isEmpty(), h.contains(q), q);
      HttpHeaders copy = HttpHeaders.copyOf(h);
      assertEquals(expected.size(), copy.remove(q), q);
      assertFalse(copy.contains(q), q);
      assertEquals(h.size() - expected.size(), copy.size(), q);
    }
  }

  // ----------------------------------------------------------------------------- one-pass field lines

  /** Bytes a value may hold and bytes it may not, at every position around the eight-byte words. */
  private static final int[] ALLOWED = {'\t', ' ', '~', 0x80, 0xA0, 0xFF, '"', ':'};
  private static final int[] REFUSED = {0x00, 0x01, 0x0B, '\r', 0x1F, 0x7F};

  /**
   * Every field line made of a name and a value with one special byte at any position of values up to 20 bytes
   * long parses as the general line reader reads it alone ({@link HttpHeadParser#parseTrailerField}, which never
   * takes the one-pass path): the same field, or a rejection with the same reason.
   */
  @Test
  void a_field_line_parses_as_the_general_line_reader_reads_it() {
    List<byte[]> lines = new ArrayList<>();
    for (String name : List.of("X", "cOnTeNt-TyPe", "Upgrade-Insecure-Requests")) {
      for (int length = 0; length <= 20; length++) {
        for (int at = 0; at < Math.max(length, 1); at++) {
          for (int[] set : new int[][] {ALLOWED, REFUSED}) {
            for (int special : set) {
              byte[] value = ("v".repeat(length)).getBytes(ISO_8859_1);
              if (length > 0) {
                value[at] = (byte) special;
              }
              lines.add(concat(bytes(name + ":"), value));
              lines.add(concat(bytes(name + ": "), value, bytes("  ")));
            }
          }
        }
      }
    }
    for (String odd : List.of(" X: folded", "\tX: folded", "X : space before colon", "X\t: tab before colon",
        ": no name", "X", "X y: z", "X\u0080: high byte in the name", "X\u0000: NUL in the name", "X:\u0000",
        "X: a\rb", "X: trailing bare CR\r", "X:", "X: ")) {
      lines.add(bytes(odd));
    }
    for (byte[] line : lines) {
      compareWithGeneralReader(line, "\r\n");
      if (line.length == 0 || line[line.length - 1] != '\r') { // else with a bare LF it is the CRLF case again
        compareWithGeneralReader(line, "\n");
      }
    }
  }

  private void compareWithGeneralReader(byte[] line, String end) {
    String shown = new String(line, ISO_8859_1).replace("\r", "\\r").replace("\t", "\\t") + " ending " + end.length();
    HttpHeaders alone = new HttpHeaders();
    String reason = HttpHeadParser.parseTrailerField(line, 0, line.length, alone);
    byte[] input = concat(bytes(START), line, bytes(end), bytes("Last: 1\r\n\r\n"));
    HttpHeadParser.Result<HttpRequestHead> result = parser.parseRequest(readerOf(new String(input, ISO_8859_1)));
    if (reason != null) {
      HttpHeadParser.Rejected<?> r = assertInstanceOf(HttpHeadParser.Rejected.class, result, shown);
      assertEquals(400, r.status(), shown);
      assertEquals(reason, r.reason(), shown);
      return;
    }
    HttpRequestHead head = parsed(result);
    List<HttpHeaders.Field> fields = head.headers().fields();
    assertEquals(List.of(new HttpHeaders.Field("Host", "a"), alone.fields().get(0), new HttpHeaders.Field("Last", "1")),
        fields, shown);
    // Forwarded, the line is written as name, colon, space, value: the same bytes as the field built from Strings.
    HttpHeaders built = new HttpHeaders();
    for (HttpHeaders.Field f : fields) {
      built.add(f.name(), f.value());
    }
    assertEquals(new String(new HttpRequestHead("GET", "/", HttpVersion.HTTP_1_1, built).toBytes(), ISO_8859_1),
        new String(head.toBytes(), ISO_8859_1), shown);
  }

  @Test
  void a_line_feed_in_a_value_ends_the_line_and_what_follows_is_a_line_of_its_own() {
    assertRejected(400, parser.parseRequest(readerOf(START + "X: abcdefghij\nklmnop\r\n\r\n")));
    HttpRequestHead h = parsed(parser.parseRequest(readerOf(START + "X: abcdefghij\nY: klmnopqrstu\r\n\r\n")));
    assertEquals("abcdefghij", h.headers().get("X"));
    assertEquals("klmnopqrstu", h.headers().get("Y"));
  }

  /** A head that arrives a byte at a time needs more until its last byte, whatever the length of its values. */
  @Test
  void every_prefix_of_a_head_needs_more() {
    String head = START + "X-Long: " + "0123456789".repeat(5) + "\r\nX-Tab: q\tr\r\nX-High: \u00ff\u0080\u00a0z\r\n"
        + "\r\n";
    for (int n = 0; n < head.length(); n++) {
      assertInstanceOf(HttpHeadParser.NeedMore.class, parser.parseRequest(readerOf(head.substring(0, n))), "" + n);
    }
    HttpRequestHead h = parsed(parser.parseRequest(readerOf(head)));
    assertEquals("q\tr", h.headers().get("x-tab"));
    assertEquals("\u00ff\u0080\u00a0z", h.headers().get("X-HIGH"));
    assertEquals(head, new String(h.toBytes(), ISO_8859_1));
  }

  /** The limits hold on the one-pass path: a line whose LF lies past the head limit is 431, as is one field more. */
  @Test
  void the_head_and_field_count_limits_hold_for_plain_lines() {
    String fields = "Aa: 1\r\nBb: 2\r\n";
    int upToLastLf = (START + fields).length();
    HttpHeadParser exact = new HttpHeadParser(new HttpLimits(16, upToLastLf + 2, 10));
    parsed(exact.parseRequest(readerOf(START + fields + "\r\n")));
    HttpHeadParser oneShort = new HttpHeadParser(new HttpLimits(16, upToLastLf - 1, 10));
    assertRejected(431, oneShort.parseRequest(readerOf(START + fields + "\r\n")));
    HttpHeadParser threeFields = new HttpHeadParser(new HttpLimits(16, 1000, 3));
    parsed(threeFields.parseRequest(readerOf(START + fields + "\r\n")));
    assertRejected(431, threeFields.parseRequest(readerOf(START + fields + "Cc: 3\r\n\r\n")));
  }

  @Test
  void duplicate_framing_fields_in_odd_case_are_read_as_in_any_case() {
    assertRejected(400, parser.parseRequest(readerOf("POST / HTTP/1.1\r\nHost: a\r\ncontent-length: 5\r\n"
        + "CONTENT-LENGTH: 6\r\n\r\n")));
    assertRejected(400, parser.parseRequest(readerOf("GET / HTTP/1.1\r\nHost: a\r\nhOST: b\r\n\r\n")));
    assertRejected(400, parser.parseRequest(readerOf("POST / HTTP/1.1\r\nHost: a\r\nTRANSFER-encoding: chunked\r\n"
        + "content-LENGTH: 5\r\n\r\n")));
    assertRejected(400, parser.parseRequest(readerOf("GET / HTTP/1.0\r\nHost: a\r\nHOST: a\r\n\r\n")));
    HttpRequestHead same = parsed(parser.parseRequest(readerOf("POST / HTTP/1.1\r\nHost: a\r\ncontent-length: 5\r\n"
        + "Content-Length: 5\r\n\r\n")));
    assertEquals(5, same.headers().contentLength().getAsLong());
    HttpRequestHead digits = parsed(parser.parseRequest(readerOf("POST / HTTP/1.1\r\nHost: a\r\n"
        + "Content-Length: 000000000000000012\r\n\r\n")));
    assertEquals(12, digits.headers().contentLength().getAsLong());
    assertRejected(400, parser.parseRequest(readerOf("POST / HTTP/1.1\r\nHost: a\r\n"
        + "Content-Length: 99999999999999999999\r\n\r\n")));
  }

  // ---------------------------------------------------------------------------------------- forwarding

  /**
   * The exact bytes a request with names in odd case, names that begin like hop-by-hop names, and a Connection that
   * names the framing fields is forwarded as: hop-by-hop fields and the names Connection lists go, framing stays.
   */
  @Test
  void a_request_naming_framing_fields_in_connection_is_forwarded_with_its_framing() {
    String in = "POST /p HTTP/1.1\r\nhOsT: a\r\nConnectio: 1\r\nUpgrade-Insecure-Requests: 1\r\nTE2: x\r\n"
        + "Keep-Alive: 5\r\ncontent-LENGTH: 4\r\nConnection: te2, CONTENT-length, hOST, trailers\r\nTrailers: x\r\n"
        + "tE: trailers\r\nproxy-CONNECTION: keep-alive\r\n\r\nbody";
    HttpRequestHead head = parsed(parser.parseRequest(readerOf(in)));
    HttpHeaders out = rules.forwardedRequest(head.headers(), head.version());
    assertEquals("POST /p HTTP/1.1\r\nhOsT: a\r\nConnectio: 1\r\nUpgrade-Insecure-Requests: 1\r\n"
        + "content-LENGTH: 4\r\nVia: 1.1 edge\r\n\r\n",
        new String(new HttpRequestHead("POST", "/p", HttpVersion.HTTP_1_1, out).toBytes(), ISO_8859_1));
  }

  /**
   * Connection options are compared by length first: options of 63 characters and more share one length class, so
   * a long name is removed only when it is the one named.
   */
  @Test
  void long_names_in_connection_are_compared_in_full() {
    String named = "X-" + "n".repeat(70);
    String other = "X-" + "m".repeat(80);
    String in = "GET / HTTP/1.1\r\nHost: a\r\n" + named.toUpperCase(Locale.ROOT) + ": 1\r\n" + other + ": 2\r\n"
        + "Six-Ch: 3\r\nConnection: " + named + " ; q=1, abcdef\r\n\r\n";
    HttpRequestHead head = parsed(parser.parseRequest(readerOf(in)));
    HttpHeaders out = rules.forwardedRequest(head.headers(), head.version());
    assertNull(out.get(named));
    assertEquals("2", out.get(other));
    assertEquals("3", out.get("Six-Ch"), "same length as an option, another name");
  }

  /**
   * A map keeps each line's end offset and name code in one int: a line that ends past 16 MiB into its head (limits
   * allow such heads) is kept as Strings instead, and reads back as it came.
   */
  @Test
  void a_line_ending_past_sixteen_mebibytes_into_its_head_reads_back_as_it_came() {
    int end = (1 << 24) + 5;
    byte[] source = new byte[end + 2];
    java.util.Arrays.fill(source, (byte) 'v');
    byte[] name = bytes("Content-Length: 7");
    System.arraycopy(name, 0, source, 0, name.length);
    byte[] host = bytes("hoST");
    System.arraycopy(host, 0, source, end - 4, 4);
    HttpHeaders h = new HttpHeaders(source);
    h.addLine(0, 14, 16, 17);
    h.addLine(20, end - 5, end - 4, end);
    assertEquals(7, h.contentLength().getAsLong());
    assertEquals("hoST", h.get("V".repeat(end - 25)));
    assertEquals(2, h.size());
    assertEquals(HttpHeaders.NAME_CONTENT_LENGTH, h.codeAt(0));
    HttpHeaders tail = new HttpHeaders(source);
    tail.addLine(end - 4, end, end, end);
    assertTrue(tail.contains("Host"));
    assertEquals("", tail.get("HOST"));
    assertEquals(HttpHeaders.NAME_HOST, tail.codeAt(0));
  }

  /** A map of Fields that later takes a received line keeps the codes of the Fields it had. */
  @Test
  void fields_added_before_the_first_line_keep_their_codes() {
    byte[] source = bytes("Content-Length: 3");
    HttpHeaders h = new HttpHeaders(source);
    h.add("Host", "a").add("Connection", "x-a").add("X-A", "1");
    h.addLine(0, 14, 16, 17);
    assertEquals(HttpHeaders.NAME_HOST, h.codeAt(0));
    assertEquals(HttpHeaders.NAME_CONNECTION, h.codeAt(1));
    assertEquals(HttpHeaders.NAME_OTHER, h.codeAt(2));
    assertEquals(HttpHeaders.NAME_CONTENT_LENGTH, h.codeAt(3));
    assertEquals(3, h.contentLength().getAsLong());
    assertEquals("Host: a\r\nContent-Length: 3\r\n", ProxyHeaderRules.endToEnd(h).writeTo(new StringBuilder())
        .toString());
  }

  /** Line feeds counted eight bytes at a time: every byte value next to a line feed, at every offset. */
  @Test
  void line_feeds_are_counted_exactly_whatever_their_neighbours() {
    java.util.Random random = new java.util.Random(7);
    for (int round = 0; round < 2000; round++) {
      byte[] buf = new byte[random.nextInt(40)];
      for (int i = 0; i < buf.length; i++) {
        int pick = random.nextInt(6);
        buf[i] = (byte) (pick == 0 ? '\n' : pick == 1 ? 0x8A : pick == 2 ? 0x0B : pick == 3 ? 0x09 : pick == 4 ? 0xFF
            : random.nextInt(256));
      }
      int from = buf.length == 0 ? 0 : random.nextInt(buf.length);
      int expected = 0;
      for (int i = from; i < buf.length; i++) {
        expected += buf[i] == '\n' ? 1 : 0;
      }
      assertEquals(expected, HttpHeadParser.lineFeeds(buf, from, buf.length), () -> java.util.Arrays.toString(buf));
    }
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
