package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.buffer.IOBufferReader;
import java.lang.management.ManagementFactory;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * What reading heads allocates, for the questions every transaction asks several times: a lookup of a field that is
 * absent (Transfer-Encoding, Upgrade, TE in most requests), the length of a one-element Content-Length, and a parse
 * of a head followed by its body (only the head's bytes are copied, not the body behind it up to the head limit).
 */
class HttpHeadAllocationTest extends HttpTestSupport {
  private static final int CALLS = 1_000;
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private static HttpHeaders typicalRequestHeaders() {
    return new HttpHeaders().add("Host", "example.test").add("User-Agent", "bench/1").add("Accept", "*/*")
        .add("Content-Length", "100");
  }

  @Test
  void asking_for_absent_fields_allocates_nothing() {
    HttpHeaders h = typicalRequestHeaders();
    boolean anyFound = false;
    for (int round = 0; round < 2; round++) { // the first round loads and links what the calls use
      long before = THREADS.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < CALLS; i++) {
        anyFound |= h.isChunked();
        anyFound |= !h.getAll("Upgrade").isEmpty();
        anyFound |= !h.getAll("TE").isEmpty();
        anyFound |= h.get("Expect") != null;
        anyFound |= !h.connectionTokens().isEmpty();
      }
      long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
      if (round == 1) {
        assertTrue(allocated < CALLS, "bytes allocated by " + CALLS + " rounds of lookups: " + allocated);
      }
    }
    assertFalse(anyFound);
  }

  /** What nginx answers for a 100-byte static file, and the body behind it. */
  private static final String NGINX_RESPONSE = "HTTP/1.1 200 OK\r\nServer: nginx/1.24.0 (Ubuntu)\r\n"
      + "Date: Mon, 07 Dec 2026 15:00:00 GMT\r\nContent-Type: application/octet-stream\r\nContent-Length: 100\r\n"
      + "Last-Modified: Mon, 07 Dec 2026 14:00:00 GMT\r\nConnection: keep-alive\r\nETag: \"6575f0a0-64\"\r\n"
      + "Accept-Ranges: bytes\r\n\r\n";

  @Test
  void a_received_head_is_read_and_forwarded_without_a_string_per_field() {
    ProxyHeaderRules rules = new ProxyHeaderRules("edge");
    HttpHeadParser parser = new HttpHeadParser();
    long allocated = 0;
    byte[] forwarded = null;
    for (int round = 0; round < 3; round++) { // the first rounds load and link what the calls use
      IOBufferReader r = readerOf(NGINX_RESPONSE + "x".repeat(100));
      long before = THREADS.getCurrentThreadAllocatedBytes();
      HttpHeadParser.Parsed<HttpResponseHead> parsed =
          assertInstanceOf(HttpHeadParser.Parsed.class, parser.parseResponse(r));
      HttpResponseHead head = parsed.head();
      HttpHeaders h = head.headers();
      assertEquals(100, h.contentLength().getAsLong());
      assertFalse(h.isChunked());
      assertEquals(java.util.Set.of("keep-alive"), h.connectionTokens());
      ProxyHeaderRules.ClientResponseFields fields = rules.clientResponse(head, HttpVersion.HTTP_1_1, true, false,
          true);
      forwarded = new HttpResponseHead(head.version(), head.status(), head.reason(), fields.headers()).toBytes();
      allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
    }
    assertEquals(NGINX_RESPONSE.replace("Connection: keep-alive\r\n", "").replace("\r\n\r\n",
        "\r\nVia: 1.1 edge\r\n\r\n"), new String(forwarded, java.nio.charset.StandardCharsets.ISO_8859_1));
    // The head's bytes (copied once by the parse), the map and its offsets, the forwarded map and the bytes written:
    // no String per field, no set of Connection options, no new Via field.
    assertTrue(allocated < 2048, "bytes allocated parsing and forwarding a " + NGINX_RESPONSE.length()
        + "-byte head with 8 fields: " + allocated);
  }

  @Test
  void a_one_element_content_length_is_read_without_splitting_it() {
    HttpHeaders h = typicalRequestHeaders();
    long sum = 0;
    for (int round = 0; round < 2; round++) {
      long before = THREADS.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < CALLS; i++) {
        sum += h.contentLength().getAsLong();
      }
      long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
      if (round == 1) {
        // An OptionalLong per call (24 bytes, when not optimised away) and nothing else: no array, no String.
        assertTrue(allocated <= 32L * CALLS + 512, "bytes allocated by " + CALLS + " calls: " + allocated);
      }
    }
    assertEquals(2L * CALLS * 100, sum);
    assertEquals(OptionalLong.of(7), new HttpHeaders().add("Content-Length", " 7 ").contentLength());
  }

  @Test
  void parsing_a_head_with_a_long_body_behind_it_copies_only_a_prefix() {
    String head = "HTTP/1.1 200 OK\r\nContent-Length: 60000\r\n\r\n";
    String body = "x".repeat(60_000);
    long allocated = 0;
    for (int round = 0; round < 2; round++) {
      IOBufferReader r = readerOf(head + body);
      HttpHeadParser parser = new HttpHeadParser();
      long before = THREADS.getCurrentThreadAllocatedBytes();
      HttpHeadParser.Result<HttpResponseHead> result = parser.parseResponse(r);
      allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
      HttpHeadParser.Parsed<HttpResponseHead> parsed = assertInstanceOf(HttpHeadParser.Parsed.class, result);
      assertEquals(head.length(), parsed.headBytes());
      assertEquals(60_000, r.readAvail(), "the body stays");
    }
    assertTrue(allocated < 8192, "bytes allocated parsing a 41-byte head before a 60,000-byte body: " + allocated);
  }

  @Test
  void a_head_longer_than_the_first_scan_copies_a_longer_prefix_not_the_body() {
    StringBuilder head = new StringBuilder("HTTP/1.1 200 OK\r\nContent-Length: 60000\r\n");
    while (head.length() < 2 * HttpHeadParser.FIRST_SCAN_BYTES) {
      head.append("X-Pad: ").append("p".repeat(60)).append("\r\n");
    }
    head.append("\r\n");
    IOBufferReader r = readerOf(head + "x".repeat(60_000));
    long before = THREADS.getCurrentThreadAllocatedBytes();
    HttpHeadParser.Parsed<HttpResponseHead> parsed =
        assertInstanceOf(HttpHeadParser.Parsed.class, new HttpHeadParser().parseResponse(r));
    long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
    assertEquals(head.length(), parsed.headBytes());
    assertEquals(60_000, r.readAvail());
    assertTrue(allocated < 32 * 1024, "bytes allocated parsing a " + head.length() + "-byte head before a "
        + "60,000-byte body: " + allocated);
  }

  @Test
  void a_head_across_many_small_blocks_parses_as_in_one_piece() {
    StringBuilder head = new StringBuilder("GET /split HTTP/1.1\r\nHost: example.test\r\n");
    for (int i = 0; head.length() < 3 * HttpHeadParser.FIRST_SCAN_BYTES; i++) {
      head.append("X-Field-").append(i).append(": ").append("w".repeat(30)).append("\r\n");
    }
    head.append("\r\n");
    byte[] bytes = (head + "BODY").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    dev.vconn.domain.buffer.IOBuffer small = new dev.vconn.domain.buffer.IOBuffer(pool, 0); // the smallest blocks
    try {
      IOBufferReader r = small.allocReader();
      for (int at = 0; at < bytes.length; at += 100) { // written in pieces: the head spans many blocks
        small.write(java.util.Arrays.copyOfRange(bytes, at, Math.min(bytes.length, at + 100)));
      }
      HttpHeadParser.Parsed<HttpRequestHead> split =
          assertInstanceOf(HttpHeadParser.Parsed.class, new HttpHeadParser().parseRequest(r));
      HttpHeadParser.Parsed<HttpRequestHead> whole =
          assertInstanceOf(HttpHeadParser.Parsed.class, new HttpHeadParser().parseRequest(readerOf(head + "BODY")));
      assertEquals(whole.headBytes(), split.headBytes());
      assertEquals(whole.head(), split.head());
      assertEquals(4, r.readAvail());
    } finally {
      small.close();
    }
  }

  @Test
  void a_head_longer_than_the_first_scan_parses_whole() {
    StringBuilder head = new StringBuilder("GET /long HTTP/1.1\r\nHost: example.test\r\n");
    for (int i = 0; head.length() < 3 * HttpHeadParser.FIRST_SCAN_BYTES; i++) {
      head.append("X-Field-").append(i).append(": ").append("v".repeat(40)).append("\r\n");
    }
    head.append("\r\n");
    IOBufferReader r = readerOf(head + "BODY");
    HttpHeadParser.Parsed<HttpRequestHead> parsed =
        assertInstanceOf(HttpHeadParser.Parsed.class, new HttpHeadParser().parseRequest(r));
    assertEquals(head.length(), parsed.headBytes());
    assertEquals("/long", parsed.head().target());
    assertEquals("v".repeat(40), parsed.head().headers().get("X-Field-0"));
    assertEquals(head.toString(), new String(parsed.head().toBytes(), java.nio.charset.StandardCharsets.ISO_8859_1));
    assertEquals("BODY", peek(r));
  }

  @Test
  void a_head_over_the_limit_is_still_refused_when_its_start_fits_the_first_scan() {
    HttpLimits limits = new HttpLimits(HttpLimits.DEFAULT_MAX_REQUEST_LINE_BYTES, 2 * HttpHeadParser.FIRST_SCAN_BYTES,
        HttpLimits.DEFAULT_MAX_HEADER_COUNT, HttpLimits.DEFAULT_MAX_INTERIM_RESPONSES);
    StringBuilder head = new StringBuilder("GET / HTTP/1.1\r\nHost: example.test\r\n");
    while (head.length() < 3 * HttpHeadParser.FIRST_SCAN_BYTES) {
      head.append("X-Pad: ").append("p".repeat(60)).append("\r\n");
    }
    HttpHeadParser.Rejected<HttpRequestHead> rejected = assertInstanceOf(HttpHeadParser.Rejected.class,
        new HttpHeadParser(limits).parseRequest(readerOf(head + "\r\n")));
    assertEquals(431, rejected.status());
    assertInstanceOf(HttpHeadParser.NeedMore.class,
        new HttpHeadParser(limits).parseRequest(readerOf(head.substring(0, HttpHeadParser.FIRST_SCAN_BYTES + 10))));
  }
  @Test
  void a_path_without_dot_segments_is_normal_already_and_costs_nothing() throws BadMessageException {
    String target = "/static/app.min.js?v=3";
    long allocated = 0;
    for (int round = 0; round < 2; round++) {
      long before = THREADS.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < CALLS; i++) {
        assertTrue(RequestPaths.normalizeTarget(target) == target);
      }
      allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
    }
    // The path is cut out of the target to look at it (a string per call) and nothing else is made.
    assertTrue(allocated <= 100L * CALLS + 512, "bytes allocated by " + CALLS + " normalisations: " + allocated);
    assertEquals("/b/c.d?q", RequestPaths.normalizeTarget("/a/../b/./c.d?q"));
    assertEquals("/a.%3B", RequestPaths.normalizeTarget("/a.%3b"));
  }
  @Test
  void common_methods_names_and_reasons_are_shared_strings_and_other_spellings_kept_as_received() {
    HttpRequestHead request = ((HttpHeadParser.Parsed<HttpRequestHead>) new HttpHeadParser()
        .parseRequest(readerOf("GET /item HTTP/1.1\r\nHost:  bench.test \r\nHOST-X: 1\r\nx-custom:\tv\r\n\r\n")))
        .head();
    assertTrue(request.method() == "GET", "the table's GET, not a new String"); // identity is the point here
    HttpHeaders.Field host = request.headers().fields().get(0);
    assertTrue(host.name() == "Host", "the table's Host, not a new String");
    assertEquals("bench.test", host.value());
    assertEquals(new HttpHeaders.Field("HOST-X", "1"), request.headers().fields().get(1));
    assertEquals(new HttpHeaders.Field("x-custom", "v"), request.headers().fields().get(2));
    HttpResponseHead response = ((HttpHeadParser.Parsed<HttpResponseHead>) new HttpHeadParser()
        .parseResponse(readerOf("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"))).head();
    assertTrue(response.reason() == "OK", "the table's OK, not a new String");
    assertTrue(response.headers().fields().get(0).name() == "content-length", "lower case is in the table too");
    HttpResponseHead custom = ((HttpHeadParser.Parsed<HttpResponseHead>) new HttpHeadParser()
        .parseResponse(readerOf("HTTP/1.0 299 Fine \r\n\r\n"))).head();
    assertEquals("Fine ", custom.reason());
    assertEquals(HttpVersion.HTTP_1_0, custom.version());
  }
}
