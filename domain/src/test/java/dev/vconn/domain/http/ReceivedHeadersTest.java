package dev.vconn.domain.http;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.OptionalLong;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A head the parser made keeps its field lines as received bytes; a head a plugin built holds Strings. Both must
 * answer every question the same, forward to exactly the same bytes, and show every edit: the rules of
 * {@link ProxyHeaderRulesTest} are run again on received fields here, and the framing fields are read on both.
 */
class ReceivedHeadersTest extends HttpTestSupport {
  private final ProxyHeaderRules rules = new ProxyHeaderRules("edge");

  /** "Name: value" lines separated by '|', as a map that reads them from one received byte array. */
  static HttpHeaders received(String lines) {
    byte[] buf = (lines.replace("|", "\r\n") + "\r\n").getBytes(ISO_8859_1);
    HttpHeaders h = new HttpHeaders(buf);
    int from = 0;
    for (int i = 0; i < buf.length; i++) {
      if (buf[i] == '\n') {
        assertNull(HttpHeadParser.parseTrailerField(buf, from, i - 1, h), "line " + from);
        from = i + 1;
      }
    }
    return h;
  }

  /** The same lines added one by one, as a plugin builds a map. */
  static HttpHeaders built(String lines) {
    HttpHeaders h = new HttpHeaders();
    for (String line : lines.split("\\|")) {
      int colon = line.indexOf(':');
      h.add(line.substring(0, colon), line.substring(colon + 1));
    }
    return h;
  }

  private static byte[] requestBytes(HttpHeaders h) {
    return new HttpRequestHead("GET", "/", HttpVersion.HTTP_1_1, h).toBytes();
  }

  private static String wire(HttpHeaders h) {
    return new String(requestBytes(h), ISO_8859_1);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.vconn.domain.http.ProxyHeaderRulesTest#requests")
  void a_received_request_is_forwarded_to_the_same_bytes_as_a_built_one(String rule, String in, HttpVersion version,
      String expected) {
    HttpHeaders fromBytes = rules.forwardedRequest(received(in), version);
    HttpHeaders fromStrings = rules.forwardedRequest(built(in), version);
    assertEquals(built(expected), fromBytes, rule);
    assertArrayEquals(requestBytes(fromStrings), requestBytes(fromBytes), rule);
    assertEquals(wire(built(expected)), wire(fromBytes), rule);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.vconn.domain.http.ProxyHeaderRulesTest#responses")
  void a_received_response_is_forwarded_to_the_same_bytes_as_a_built_one(String rule, HttpVersion originVersion,
      int status, String in, HttpVersion clientVersion, boolean hasBody, boolean transformed, boolean keepAlive,
      String expected, boolean expectedKeepAlive) {
    Function<HttpHeaders, ProxyHeaderRules.ClientResponseFields> forward = h -> rules.clientResponse(
        new HttpResponseHead(originVersion, status, HttpStatus.reason(status), h), clientVersion, hasBody,
        transformed, keepAlive);
    ProxyHeaderRules.ClientResponseFields fromBytes = forward.apply(received(in));
    assertEquals(built(expected), fromBytes.headers(), rule);
    assertEquals(expectedKeepAlive, fromBytes.keepAlive(), rule);
    assertEquals(wire(forward.apply(built(in)).headers()), wire(fromBytes.headers()), rule);
  }

  @Test
  void options_named_in_connection_are_read_in_place_with_parameters_whitespace_and_case() {
    String in = "Connection: x-a ; p=1 ,, X-B\t,content-length|X-A: 1|x-b: 2|X-C: 3|Content-Length: 0"
        + "|CONNECTION:  X-C;q|Keep-Alive: 5";
    HttpHeaders out = ProxyHeaderRules.endToEnd(received(in));
    assertEquals("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", wire(out));
    assertEquals(ProxyHeaderRules.endToEnd(built(in)), out);

    StringBuilder many = new StringBuilder("Connection: X-DROP");
    for (int i = 0; i < 12; i++) {
      many.append(", x-other-").append(i);
    }
    String longList = many + ", Host|x-drop: 1|X-Other-7: 2|X-Kept: 3|Host: h";
    assertEquals("GET / HTTP/1.1\r\nX-Kept: 3\r\nHost: h\r\n\r\n", wire(ProxyHeaderRules.endToEnd(received(longList))));
    assertEquals(received(in).connectionTokens(), built(in).connectionTokens());
    assertEquals(java.util.List.of("x-a", "x-b", "content-length", "x-c"),
        java.util.List.copyOf(received(in).connectionTokens()));
  }

  @Test
  void a_name_only_like_a_connection_option_stays() {
    // Same length, letters in other case, a prefix, and characters that differ only in the bit ASCII case flips.
    String in = "Connection: x-ab, X@B, x-|X-AB: 1|X-AC: 2|X`B: 3|x-a: 4|X-: 5";
    assertEquals("GET / HTTP/1.1\r\nX-AC: 2\r\nX`B: 3\r\nx-a: 4\r\n\r\n",
        wire(ProxyHeaderRules.endToEnd(received(in))));
    assertEquals(ProxyHeaderRules.endToEnd(built(in)), ProxyHeaderRules.endToEnd(received(in)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"Connection: keep-alive", "Connection: Keep-Alive", "Connection: CLOSE",
      "Connection:  close ;x", "Connection: closed", "Connection: clos", "Connection: upgrade, close", "Connection: ,close,", "Connection: ,",
      "Connection: keep-alive|Connection: close", "Connection: close|connection: close", "Connection: Upgrade",
      "Connection: k\u00e9ep-alive", "X-Connection: close"})
  void connection_options_read_on_bytes_answer_as_on_strings(String lines) {
    HttpHeaders bytes = received(lines);
    HttpHeaders strings = built(lines);
    assertEquals(java.util.List.copyOf(strings.connectionTokens()), java.util.List.copyOf(bytes.connectionTokens()));
    for (String option : new String[] {"close", "keep-alive", "upgrade"}) {
      assertEquals(strings.connectionTokens().contains(option), bytes.connectionOptionIs(option), option);
      assertEquals(strings.connectionTokens().contains(option), strings.connectionOptionIs(option), option);
    }
  }

  /** Values of framing fields, read on bytes and on Strings: the same length, codings and errors. */
  @ParameterizedTest
  @ValueSource(strings = {"Content-Length: 5", "Content-Length:  5 \t", "Content-Length: 5, 5", "Content-Length: 5,5|"
      + "content-length: 5", "Content-Length: 5, 6", "Content-Length: 5|Content-Length: 6", "Content-Length: ",
      "Content-Length: 5,", "Content-Length: ,5", "Content-Length: -1", "Content-Length: +1", "Content-Length: 0x10",
      "Content-Length: 9223372036854775807", "Content-Length: 9223372036854775808",
      "Content-Length: 99999999999999999999", "Content-Length: 1 2", "Transfer-Encoding: chunked",
      "Transfer-Encoding: CHUNKED", "Transfer-Encoding: gzip, chunked", "Transfer-Encoding: chunked, gzip",
      "Transfer-Encoding: chunked,", "Transfer-Encoding: chunked, ,", "Transfer-Encoding: chunked;q=1",
      "Transfer-Encoding: chunked|Transfer-Encoding: gzip", "Transfer-Encoding: gzip|transfer-encoding: chunked",
      "Transfer-Encoding: chunked|Transfer-Encoding: ,", "Transfer-Encoding: chunke", "Transfer-Encoding: chunkedd",
      "Transfer-Encoding: ,", "Transfer-Encoding: \u00e7hunked", "X-Other: chunked"})
  void framing_fields_read_on_bytes_answer_as_on_strings(String lines) {
    HttpHeaders bytes = received(lines);
    HttpHeaders strings = built(lines);
    assertEquals(outcome(strings::contentLength), outcome(bytes::contentLength));
    assertEquals(strings.isChunked(), bytes.isChunked());
    assertEquals(strings.transferCodings(), bytes.transferCodings());
    assertEquals(strings, bytes);
  }

  private static String outcome(java.util.function.Supplier<OptionalLong> length) {
    try {
      return length.get().toString();
    } catch (IllegalStateException e) {
      return "rejected: " + e.getMessage();
    }
  }

  @Test
  void a_received_line_is_written_as_name_colon_space_value_whatever_the_whitespace_received() {
    HttpHeaders h = received("X-A:   v  \t|x-b:v|X-Empty:|X-Tab:\tw x");
    assertEquals("GET / HTTP/1.1\r\nX-A: v\r\nx-b: v\r\nX-Empty: \r\nX-Tab: w x\r\n\r\n", wire(h));
    assertEquals("v", h.get("x-a"));
    assertNull(h.get(null), "no name matches null, as on a built map");
    assertEquals(0, h.remove(null));
    assertEquals("", h.get("X-EMPTY"));
    assertEquals(java.util.List.of(new HttpHeaders.Field("X-A", "v"), new HttpHeaders.Field("x-b", "v"),
        new HttpHeaders.Field("X-Empty", ""), new HttpHeaders.Field("X-Tab", "w x")), h.fields());
  }

  @Test
  void an_edit_after_the_parse_never_shows_the_received_bytes() {
    HttpHeadParser.Parsed<HttpRequestHead> parsed = assertInstanceOf(HttpHeadParser.Parsed.class,
        new HttpHeadParser().parseRequest(
            readerOf("GET /p HTTP/1.1\r\nHost: a\r\nX-A: old\r\nX-B: keep\r\nx-a: old2\r\nX-C: gone\r\n\r\n")));
    HttpRequestHead head = parsed.head();
    HttpHeaders h = head.headers();
    HttpHeaders before = HttpHeaders.copyOf(h);
    h.set("X-A", "new");
    assertEquals(1, h.remove("x-c"));
    h.add("X-D", "added");
    h.set("Host", "b");
    assertEquals("GET /p HTTP/1.1\r\nHost: b\r\nX-A: new\r\nX-B: keep\r\nX-D: added\r\n\r\n",
        new String(head.toBytes(), ISO_8859_1));
    assertEquals(java.util.List.of("new"), h.getAll("x-a"));
    assertFalse(h.contains("X-C"));
    // The copy taken before the edits shares the received bytes and still shows them; editing it leaves h alone.
    assertEquals("GET / HTTP/1.1\r\nHost: a\r\nX-A: old\r\nX-B: keep\r\nx-a: old2\r\nX-C: gone\r\n\r\n",
        wire(before));
    before.remove("X-B");
    assertEquals("keep", h.get("X-B"));
    assertEquals(4, h.size());
  }

  @Test
  void a_head_longer_than_the_first_scan_keeps_its_own_bytes_and_writes_them_back() {
    StringBuilder head = new StringBuilder("GET /long HTTP/1.1\r\nHost: h\r\nContent-Length: 60000\r\n");
    for (int i = 0; head.length() < 3 * HttpHeadParser.FIRST_SCAN_BYTES; i++) {
      head.append("X-Pad-").append(i).append(": ").append("p".repeat(40)).append("\r\n");
    }
    head.append("Connection: X-Pad-3\r\n\r\n");
    HttpHeadParser.Parsed<HttpRequestHead> parsed = assertInstanceOf(HttpHeadParser.Parsed.class,
        new HttpHeadParser().parseRequest(readerOf(head + "b".repeat(60_000))));
    assertEquals(head.toString(), new String(parsed.head().toBytes(), ISO_8859_1));
    HttpHeaders forwarded = ProxyHeaderRules.endToEnd(parsed.head().headers());
    assertEquals(head.toString().replace("X-Pad-3: " + "p".repeat(40) + "\r\n", "")
        .replace("Connection: X-Pad-3\r\n", "").replace("GET /long HTTP/1.1\r\n", ""),
        new String(forwarded.headBytes(0), ISO_8859_1).substring(2));
  }

  @Test
  void lines_of_two_received_heads_and_built_fields_mix_in_one_map() {
    HttpHeaders first = received("X-A: 1|X-B: 2");
    HttpHeaders second = received("X-C: 3|X-D: 4");
    HttpHeaders mixed = new HttpHeaders();
    mixed.addFrom(first, 0);
    mixed.add("X-Built", "b");
    mixed.addFrom(second, 1);
    mixed.addFrom(first, 1);
    mixed.addFrom(second, 0);
    assertEquals("GET / HTTP/1.1\r\nX-A: 1\r\nX-Built: b\r\nX-D: 4\r\nX-B: 2\r\nX-C: 3\r\n\r\n", wire(mixed));
    assertEquals(built("X-A: 1|X-Built: b|X-D: 4|X-B: 2|X-C: 3"), mixed);
    mixed.remove("X-A");
    mixed.remove("X-Built");
    assertEquals("GET / HTTP/1.1\r\nX-D: 4\r\nX-B: 2\r\nX-C: 3\r\n\r\n", wire(mixed));
  }

  @Test
  void a_changed_map_fails_its_running_iterator() {
    HttpHeaders h = received("X-A: 1|X-B: 2");
    Iterator<HttpHeaders.Field> it = h.iterator();
    assertEquals(new HttpHeaders.Field("X-A", "1"), it.next());
    h.add("X-C", "3");
    assertThrows(ConcurrentModificationException.class, it::next);
    assertThrows(UnsupportedOperationException.class, () -> h.iterator().remove());
  }

  @Test
  void a_map_without_source_bytes_refuses_a_line() {
    assertThrows(IllegalStateException.class, () -> new HttpHeaders().addLine(0, 1, 2, 3));
  }
}
