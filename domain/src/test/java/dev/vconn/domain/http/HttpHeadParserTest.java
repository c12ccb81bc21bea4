package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HttpHeadParserTest extends HttpTestSupport {

  private final HttpHeadParser parser = new HttpHeadParser();

  private HttpHeadParser.Result<HttpRequestHead> request(String text) {
    return parser.parseRequest(readerOf(text));
  }

  // ------------------------------------------------------------------------------------------ valid requests

  @Test
  void getParsesExactlyAndConsumesOnlyTheHead() {
    String head = "GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\nX-Empty: \r\n\r\n";
    IOBufferReader r = readerOf(head + "NEXT");
    HttpHeadParser.Result<HttpRequestHead> result = parser.parseRequest(r);
    HttpRequestHead h = parsed(result);
    assertEquals("GET", h.method());
    assertEquals("/index.html?q=1", h.target());
    assertEquals(HttpVersion.HTTP_1_1, h.version());
    assertEquals(List.of(new HttpHeaders.Field("Host", "example.com"), new HttpHeaders.Field("Accept", "*/*"),
        new HttpHeaders.Field("X-Empty", "")), h.headers().fields());
    assertEquals(head.length(), ((HttpHeadParser.Parsed<HttpRequestHead>) result).headBytes());
    assertEquals("NEXT", peek(r));
    assertEquals(head, new String(h.toBytes(), java.nio.charset.StandardCharsets.ISO_8859_1));
  }

  @ParameterizedTest
  @ValueSource(strings = {"\r\n\r\n", "\n\n", "\n\r\n"})
  void aHeadWithABodyBehindItCopiesOnlyTheHead(String end) {
    String head = "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 100" + end;
    IOBufferReader r = readerOf(head + "b".repeat(100));
    HttpHeadParser.Result<HttpResponseHead> result = parser.parseResponse(r);
    HttpResponseHead h = parsed(result);
    assertEquals(head.length(), ((HttpHeadParser.Parsed<HttpResponseHead>) result).headBytes());
    assertEquals(head.length(), h.headers().sourceBytes(), "the body behind the head is not copied");
    assertEquals("nginx", h.headers().get("Server"));
    assertEquals("b".repeat(100), peek(r));
  }

  /** The head ends at its first empty line, whichever form that has and whatever line ends the body holds after it. */
  @ParameterizedTest
  @ValueSource(strings = {"\r\n\r\n", "\n\n", "\n\r\n", "\r\n\n"})
  void theFirstEmptyLineEndsTheHeadWhateverLineEndsTheBodyHolds(String end) {
    String head = "HTTP/1.1 200 OK\nServer: nginx\r\nContent-Length: 14" + end;
    String body = "a\n\nb\r\n\r\nc\n\r\nd\n";
    IOBufferReader r = readerOf(head + body);
    HttpHeadParser.Result<HttpResponseHead> result = parser.parseResponse(r);
    HttpResponseHead h = parsed(result);
    assertEquals(head.length(), ((HttpHeadParser.Parsed<HttpResponseHead>) result).headBytes());
    assertEquals(head.length(), h.headers().sourceBytes(), "the body behind the head is not copied");
    assertEquals("14", h.headers().get("Content-Length"));
    assertEquals(body, peek(r));
  }

  /**
   * Every arrival pattern (one byte, a few bytes, a block at a time, into 128-byte blocks) reaches the decision the
   * whole input gets at once: the same head bytes, the same status for a head that is too large, and nothing
   * consumed before the decision.
   */
  @Test
  void headsSplitAcrossReadsAndBlocksDecideAsTheWholeInput() {
    HttpHeadParser small = new HttpHeadParser(new HttpLimits(64, 300, 20));
    String fields = "Host: example.test\r\nUser-Agent: wrk\r\nAccept: */*\r\nX-Long: " + "v".repeat(150) + "\r\n";
    List<String> inputs = List.of(
        "GET /a HTTP/1.1\r\n" + fields + "\r\n" + "POST /next HTTP/1.1\r\n\r\n",
        "\r\n\nGET /a HTTP/1.1\n" + fields.replace("\r\n", "\n") + "\n" + "body".repeat(40),
        "GET /a HTTP/1.1\r\n" + fields + "\n\r\n" + "body",
        "GET /a HTTP/1.1\r\n" + fields + fields + "\r\n" + "body".repeat(100),
        "GET /a HTTP/1.1\r\n" + fields + fields,
        "GET /" + "p".repeat(80) + " HTTP/1.1\r\n\r\n",
        "GET /a HTTP/1.1\r\nBad Name: x\r\n\r\nbody");
    for (HttpHeadParser p : List.of(parser, small)) {
      for (String input : inputs) {
        String whole = describe(p.parseRequest(readerOf(input)), input.length());
        for (int step : new int[] {1, 3, 64, 127, 128, 1000}) {
          IOBuffer b = new IOBuffer(pool, 0);
          try {
            IOBufferReader r = b.allocReader();
            byte[] bytes = bytes(input);
            HttpHeadParser.Result<HttpRequestHead> result = new HttpHeadParser.NeedMore<>();
            for (int at = 0; at < bytes.length && result instanceof HttpHeadParser.NeedMore; at += step) {
              b.write(bytes, at, Math.min(step, bytes.length - at));
              result = p.parseRequest(r);
              if (result instanceof HttpHeadParser.NeedMore) {
                assertEquals(Math.min(at + step, bytes.length), r.readAvail(), "nothing consumed before the head");
              }
            }
            assertEquals(whole, describe(result, input.length()), "step " + step + ": " + input);
          } finally {
            b.close();
          }
        }
      }
    }
  }

  private static String describe(HttpHeadParser.Result<HttpRequestHead> result, int inputLength) {
    if (result instanceof HttpHeadParser.Parsed<HttpRequestHead> ok) {
      assertTrue(ok.head().headers().sourceBytes() <= ok.headBytes(), "only head bytes are kept");
      return "parsed " + ok.headBytes() + " "
          + new String(ok.head().toBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
    }
    return result.toString();
  }

  @Test
  void postLeavesTheBody() {
    IOBufferReader r = readerOf("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
        + "Content-Type:   text/plain  \r\n\r\nhello");
    HttpRequestHead h = parsed(parser.parseRequest(r));
    assertEquals("POST", h.method());
    assertEquals(OptionalLong.of(5), h.headers().contentLength());
    assertEquals("text/plain", h.headers().get("content-type"));
    assertEquals("hello", peek(r));
  }

  @Test
  void bareLfLineEndsAndHttp10WithoutHost() {
    IOBufferReader r = readerOf("GET / HTTP/1.0\nUser-Agent: x\n\nrest");
    HttpRequestHead h = parsed(parser.parseRequest(r));
    assertEquals(HttpVersion.HTTP_1_0, h.version());
    assertEquals("x", h.headers().get("user-agent"));
    assertEquals("rest", peek(r));
  }

  @Test
  void leadingEmptyLinesAreSkippedAndConsumed() {
    IOBufferReader r = readerOf("\r\n\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
    assertEquals("/", parsed(parser.parseRequest(r)).target());
    assertEquals(0, r.readAvail());
  }

  @Test
  void tooManyLeadingEmptyLinesAre400() {
    assertRejected(400, request("\r\n".repeat(HttpHeadParser.MAX_LEADING_EMPTY_LINES + 1) + "GET / HTTP/1.1\r\n"));
  }

  @Test
  void byteByByteGivesNeedMoreUntilTheLastByteAndTheSameResult() {
    String text = "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nX-A: 1\r\nx-a: 2\r\n\r\n";
    HttpRequestHead whole = parsed(request(text + "abc"));
    IOBuffer b = new IOBuffer(pool);
    try {
      IOBufferReader r = b.allocReader();
      byte[] bytes = bytes(text);
      HttpHeadParser.Result<HttpRequestHead> needMore = parser.parseRequest(r);
      for (int i = 0; i < bytes.length - 1; i++) {
        b.write(bytes, i, 1);
        HttpHeadParser.Result<HttpRequestHead> result = parser.parseRequest(r);
        assertEquals(new HttpHeadParser.NeedMore<HttpRequestHead>(), result, "after byte " + i);
        assertSame(needMore, result, "a parse that waits allocates no result of its own");
        assertEquals(i + 1, r.readAvail(), "nothing consumed");
      }
      b.write(bytes, bytes.length - 1, 1);
      b.write(bytes("abc"));
      assertEquals(whole, parsed(parser.parseRequest(r)));
      assertEquals("abc", peek(r));
    } finally {
      b.close();
    }
  }

  @Test
  void pipelinedRequestsParseOneAfterAnother() {
    IOBufferReader r = readerOf("GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
        + "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nok"
        + "GET /3 HTTP/1.1\r\nHo");
    assertEquals("/1", parsed(parser.parseRequest(r)).target());
    HttpRequestHead second = parsed(parser.parseRequest(r));
    assertEquals("/2", second.target());
    r.consume(second.headers().contentLength().getAsLong());
    long before = r.readAvail();
    assertInstanceOf(HttpHeadParser.NeedMore.class, parser.parseRequest(r));
    assertEquals(before, r.readAvail());
  }

  // ------------------------------------------------------------------------------------------------ 400

  @ParameterizedTest
  @ValueSource(strings = {
      "GET /  HTTP/1.1\r\nHost: h\r\n\r\n",            // two spaces
      "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",            // trailing space
      " GET / HTTP/1.1\r\nHost: h\r\n\r\n",            // leading space
      "GET /\r\n\r\n",                                 // HTTP/0.9 style
      "GET\r\n\r\n",
      "GET / http/1.1\r\nHost: h\r\n\r\n",             // version is case-sensitive
      "GET / HTTP/1.10\r\nHost: h\r\n\r\n",            // garbage version is 400, not 505
      "GET / HTTP/x.1\r\nHost: h\r\n\r\n",
      "GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n",         // control character in target
      "GET /\u00e9 HTTP/1.1\r\nHost: h\r\n\r\n",       // non-ASCII target
      "GET /\rx HTTP/1.1\r\nHost: h\r\n\r\n",          // bare CR
  })
  void malformedRequestLineIs400(String text) {
    assertRejected(400, request(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"G(T", "GE\"T", "GET@", "G\u00c9T"})
  void badMethodTokenIs400(String method) {
    assertRejected(400, request(method + " / HTTP/1.1\r\nHost: h\r\n\r\n"));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "NoColon",                       // no colon
      "Content-Length : 5",            // whitespace before colon: smuggling vector
      "Host\t: h2",
      ": empty-name",
      "X-Bad\u0001Name: v",            // control character in name
      "X-Bad: a\u0000b",               // NUL in value
      "X-Bad: a\u007fb",               // DEL in value
      "X-Bad: a\rb",                   // bare CR in value
      "Bad Name: v",                   // space inside name
      "X-Bad[]: v",                    // separator in name
  })
  void badHeaderFieldIs400(String field) {
    assertRejected(400, request("GET / HTTP/1.1\r\nHost: h\r\n" + field + "\r\n\r\n"));
  }

  @Test
  void obsFoldIs400() {
    assertRejected(400, request("GET / HTTP/1.1\r\nHost: h\r\nX-Long: a\r\n  continued\r\n\r\n"));
    assertRejected(400, request("GET / HTTP/1.1\r\n\tX: leading-tab\r\nHost: h\r\n\r\n"));
  }

  @Test
  void badHeaderIsRejectedBeforeTheHeadCompletes() {
    IOBufferReader r = readerOf("GET / HTTP/1.1\r\nBad Name: x\r\n");
    assertRejected(400, parser.parseRequest(r));
    assertTrue(r.readAvail() > 0, "nothing consumed");
  }

  @Test
  void hostRules() {
    assertRejected(400, request("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n"));
    assertRejected(400, request("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"));
    assertEquals("", parsed(request("GET / HTTP/1.1\r\nHost:\r\n\r\n")).headers().get("host"));
  }

  @Test
  void contentLengthWithTransferEncodingIs400() {
    assertRejected(400, request("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
        + "Transfer-Encoding: chunked\r\n\r\n"));
    assertRejected(400, request("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
        + "content-length: 3\r\n\r\n"));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "Content-Length: 5\r\nContent-Length: 6",      // conflicting fields
      "Content-Length: 5, 6",                        // conflicting list
      "Content-Length: -1",                          // negative
      "Content-Length: +5",
      "Content-Length: 5a",                          // non-digits
      "Content-Length: 0x10",
      "Content-Length: 1 2",
      "Content-Length: ",                            // empty
      "Content-Length: 5,",                          // empty element
      "Content-Length: 9223372036854775808",         // overflow
      "Content-Length: 99999999999999999999999",
  })
  void invalidOrConflictingContentLengthIs400(String field) {
    assertRejected(400, request("POST / HTTP/1.1\r\nHost: h\r\n" + field + "\r\n\r\n"));
  }

  @Test
  void identicalContentLengthDuplicatesAreAllowed() {
    HttpRequestHead h = parsed(request("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\n"
        + "Content-Length: 7\r\nContent-Length: 7 , 7\r\n\r\n"));
    assertEquals(OptionalLong.of(7), h.headers().contentLength());
    HttpRequestHead max = parsed(request("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9223372036854775807\r\n\r\n"));
    assertEquals(OptionalLong.of(Long.MAX_VALUE), max.headers().contentLength());
    assertEquals(OptionalLong.of(0), parsed(request("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 000\r\n\r\n"))
        .headers().contentLength());
  }

  @Test
  void chunkedTwiceOrEmptyTransferEncodingIs400() {
    assertRejected(400, request("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"));
    assertRejected(400, request("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
        + "Transfer-Encoding: chunked\r\n\r\n"));
    assertRejected(400, request("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \r\n\r\n"));
  }

  // ------------------------------------------------------------------------------------------------ 414 / 431

  @Test
  void requestLineLongerThanTheLimitIs414() {
    HttpHeadParser small = new HttpHeadParser(new HttpLimits(20, 1000, 10));
    String exact = "GET /" + "a".repeat(6) + " HTTP/1.1"; // 20 bytes
    assertEquals(20, exact.length());
    assertEquals("/aaaaaa", parsed(small.parseRequest(readerOf(exact + "\r\nHost: h\r\n\r\n"))).target());
    assertRejected(414, small.parseRequest(readerOf("GET /" + "a".repeat(7) + " HTTP/1.1\r\nHost: h\r\n\r\n")));
  }

  @Test
  void requestLineLimitHitsBeforeTheLineEnds() {
    HttpHeadParser small = new HttpHeadParser(new HttpLimits(20, 1000, 10));
    IOBufferReader r = readerOf("GET /" + "a".repeat(15)); // 20 bytes, still unfinished
    assertInstanceOf(HttpHeadParser.NeedMore.class, small.parseRequest(r));
    r.buffer().write(bytes("\r")); // 20 + CR: may still end here
    assertInstanceOf(HttpHeadParser.NeedMore.class, small.parseRequest(r));
    r.buffer().write(bytes("a"));
    assertRejected(414, small.parseRequest(r));
    assertEquals(22, r.readAvail());
  }

  @Test
  void defaultRequestLineLimitIs414WithoutLineEnd() {
    assertRejected(414, request("GET /" + "x".repeat(9000)));
  }

  @Test
  void headLargerThanTheLimitIs431() {
    HttpHeadParser small = new HttpHeadParser(new HttpLimits(100, 64, 10));
    String ok = "GET / HTTP/1.1\r\nHost: h\r\nX: " + "a".repeat(64 - 32) + "\r\n\r\n";
    assertEquals(64, ok.length());
    assertInstanceOf(HttpHeadParser.Parsed.class, small.parseRequest(readerOf(ok)));
    String tooBig = "GET / HTTP/1.1\r\nHost: h\r\nX: " + "a".repeat(64 - 31) + "\r\n\r\n";
    assertRejected(431, small.parseRequest(readerOf(tooBig)));
  }

  @Test
  void headLimitHitsBeforeTheHeadCompletes() {
    // A slow client sending an endless header value: rejected once maxHeaderBytes is exceeded.
    IOBufferReader r = readerOf("GET / HTTP/1.1\r\nHost: h\r\nX: ");
    HttpHeadParser.Result<HttpRequestHead> result;
    int rounds = 0;
    do {
      r.buffer().write(bytes("a".repeat(1000)));
      result = parser.parseRequest(r);
      rounds++;
    } while (result instanceof HttpHeadParser.NeedMore);
    assertRejected(431, result);
    assertTrue(r.readAvail() <= 65536 + 1000, "rejected right after the limit, readAvail " + r.readAvail());
    assertEquals(66, rounds);
  }

  @Test
  void tooManyFieldsIs431EvenBeforeTheHeadCompletes() {
    HttpHeadParser small = new HttpHeadParser(new HttpLimits(100, 10000, 3));
    assertInstanceOf(HttpHeadParser.Parsed.class,
        small.parseRequest(readerOf("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n")));
    assertRejected(431, small.parseRequest(readerOf("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n")));
  }

  // ------------------------------------------------------------------------------------------------ 501 / 505

  @ParameterizedTest
  @ValueSource(strings = {"gzip", "gzip, chunked", "chunked, gzip", "identity", "chunked;ext=1", "CHUNKED, br"})
  void unknownTransferCodingIs501(String te) {
    assertRejected(501, request("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: " + te + "\r\n\r\n"));
  }

  @Test
  void chunkedIsAcceptedInAnyCase() {
    HttpRequestHead h = parsed(request("POST / HTTP/1.1\r\nHost: h\r\ntransfer-encoding: Chunked\r\n\r\n"));
    assertTrue(h.headers().isChunked());
    assertEquals(OptionalLong.empty(), h.headers().contentLength());
  }

  @ParameterizedTest
  @ValueSource(strings = {"HTTP/2.0", "HTTP/0.9", "HTTP/1.2", "HTTP/3.0", "HTTP/9.9"})
  void otherWellFormedVersionIs505(String version) {
    assertRejected(505, request("GET / " + version + "\r\nHost: h\r\n\r\n"));
  }

  @Test
  void rejectionConsumesNothing() {
    IOBufferReader r = readerOf("GET / HTTP/2.0\r\nHost: h\r\n\r\n");
    long before = r.readAvail();
    assertRejected(505, parser.parseRequest(r));
    assertEquals(before, r.readAvail());
  }

  // ------------------------------------------------------------------------------------------------ responses

  @Test
  void responseWithReasonContainingSpaces() {
    IOBufferReader r = readerOf("HTTP/1.1 404 Not Found Here\r\nContent-Length: 3\r\n\r\nabc");
    HttpResponseHead h = parsed(parser.parseResponse(r));
    assertEquals(HttpVersion.HTTP_1_1, h.version());
    assertEquals(404, h.status());
    assertEquals("Not Found Here", h.reason());
    assertEquals(OptionalLong.of(3), h.headers().contentLength());
    assertEquals("abc", peek(r));
  }

  @Test
  void informationalThenFinalResponse() {
    IOBufferReader r = readerOf("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\nConnection: close\r\n\r\nbody");
    HttpResponseHead interim = parsed(parser.parseResponse(r));
    assertEquals(100, interim.status());
    assertTrue(interim.isInformational());
    assertEquals(0, interim.headers().size());
    HttpResponseHead last = parsed(parser.parseResponse(r));
    assertEquals(200, last.status());
    assertEquals(HttpVersion.HTTP_1_0, last.version());
    assertEquals(java.util.Set.of("close"), last.headers().connectionTokens());
    assertEquals("body", peek(r));
  }

  @Test
  void responseWithEmptyOrMissingReason() {
    assertEquals("", parsed(parser.parseResponse(readerOf("HTTP/1.1 204 \r\n\r\n"))).reason());
    assertEquals("", parsed(parser.parseResponse(readerOf("HTTP/1.1 204\r\n\r\n"))).reason());
  }

  @Test
  void responseWithoutHostIsFineAndRoundTrips() {
    String text = "HTTP/1.1 200 OK\r\nServer: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    HttpResponseHead h = parsed(parser.parseResponse(readerOf(text)));
    assertTrue(h.headers().isChunked());
    assertArrayEquals(bytes(text), h.toBytes());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 099 X\r\n\r\n", "HTTP/1.1 600 X\r\n\r\n",
      "HTTP/2.0 200 OK\r\n\r\n", "http/1.1 200 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nBad : x\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
      "HTTP/1.1 200 O\u0001K\r\n\r\n", "HTTP/1.1200 OK\r\n\r\n",
  })
  void badResponseIs502(String text) {
    assertRejected(502, parser.parseResponse(readerOf(text)));
  }
}
