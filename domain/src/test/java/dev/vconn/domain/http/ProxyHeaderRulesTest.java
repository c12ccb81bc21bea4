package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class ProxyHeaderRulesTest {
  private final ProxyHeaderRules rules = new ProxyHeaderRules("edge");

  /** Fields in ("Name: value" lines), the fields a forwarded request must carry, in order. */
  static Stream<Arguments> requests() {
    return Stream.of(
        Arguments.of("every hop-by-hop field goes",
            "Connection: keep-alive|Keep-Alive: 5|Proxy-Connection: x|TE: trailers|Trailer: X-T|Upgrade: h2c"
                + "|Proxy-Authorization: Basic a|Proxy-Authenticate: Basic|Accept: */*",
            HttpVersion.HTTP_1_1, "Accept: */*|Via: 1.1 edge"),
        Arguments.of("a field named in Connection goes",
            "Connection: X-Secret, close|X-Secret: 1|X-Kept: 2", HttpVersion.HTTP_1_1, "X-Kept: 2|Via: 1.1 edge"),
        Arguments.of("a name in Connection never removes framing or Host",
            "Host: a.test|Content-Length: 3|Connection: content-length, host", HttpVersion.HTTP_1_1,
            "Host: a.test|Content-Length: 3|Via: 1.1 edge"),
        Arguments.of("a chunked body is re-declared as chunked, without Content-Length",
            "Transfer-Encoding: gzip, chunked|Content-Length: 5|X-A: 1", HttpVersion.HTTP_1_1,
            "X-A: 1|Transfer-Encoding: chunked|Via: 1.1 edge"),
        Arguments.of("Expect is answered by the proxy, not forwarded",
            "Expect: 100-continue|Content-Length: 4", HttpVersion.HTTP_1_1, "Content-Length: 4|Via: 1.1 edge"),
        Arguments.of("an upgrade asked for with Connection: upgrade is forwarded, other Connection names are not",
            "Upgrade: websocket|Connection: Upgrade, X-Private|X-Private: 1|Accept: */*", HttpVersion.HTTP_1_1,
            "Accept: */*|Upgrade: websocket|Connection: upgrade|Via: 1.1 edge"),
        Arguments.of("an HTTP/1.0 upgrade is ignored",
            "Upgrade: websocket|Connection: upgrade|Accept: */*", HttpVersion.HTTP_1_0, "Accept: */*|Via: 1.0 edge"),
        Arguments.of("an upgrade with a body is not forwarded",
            "Upgrade: h2c|Connection: upgrade|Content-Length: 2", HttpVersion.HTTP_1_1,
            "Content-Length: 2|Via: 1.1 edge"),
        Arguments.of("Via is appended with the client's version",
            "Via: 1.1 first", HttpVersion.HTTP_1_0, "Via: 1.1 first, 1.0 edge"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("requests")
  void forwardedRequestKeepsOnlyEndToEndFields(String rule, String in, HttpVersion version, String expected) {
    assertEquals(fields(expected), rules.forwardedRequest(fields(in), version), rule);
  }

  /** The origin's response, the client's version, body, transformed, keep-alive in; fields and keep-alive out. */
  static Stream<Arguments> responses() {
    return Stream.of(
        Arguments.of("known length passes through and keeps the connection",
            HttpVersion.HTTP_1_1, 200, "Content-Length: 2|Keep-Alive: 9", HttpVersion.HTTP_1_1, true, false, true,
            "Content-Length: 2|Via: 1.1 edge", true),
        Arguments.of("chunked from the origin is re-declared chunked",
            HttpVersion.HTTP_1_1, 200, "Transfer-Encoding: chunked|Trailer: X-T", HttpVersion.HTTP_1_1, true, false,
            true, "Via: 1.1 edge|Transfer-Encoding: chunked", true),
        Arguments.of("a close-delimited body is chunked for HTTP/1.1",
            HttpVersion.HTTP_1_0, 200, "X-A: 1", HttpVersion.HTTP_1_1, true, false, true,
            "X-A: 1|Via: 1.0 edge|Transfer-Encoding: chunked", true),
        Arguments.of("a transformed body loses its Content-Length and is chunked",
            HttpVersion.HTTP_1_1, 200, "Content-Length: 7", HttpVersion.HTTP_1_1, true, true, true,
            "Via: 1.1 edge|Transfer-Encoding: chunked", true),
        Arguments.of("an unknown length ends with the connection for HTTP/1.0",
            HttpVersion.HTTP_1_1, 200, "Transfer-Encoding: chunked", HttpVersion.HTTP_1_0, true, false, true,
            "Via: 1.1 edge|Connection: close", false),
        Arguments.of("an HTTP/1.0 client that keeps the connection is told keep-alive",
            HttpVersion.HTTP_1_1, 200, "Content-Length: 0", HttpVersion.HTTP_1_0, false, false, true,
            "Content-Length: 0|Via: 1.1 edge|Connection: keep-alive", true),
        Arguments.of("a closing connection says close; a Connection-named field goes",
            HttpVersion.HTTP_1_1, 200, "Connection: X-Tmp|X-Tmp: 1|Content-Length: 0", HttpVersion.HTTP_1_1, false,
            false, false, "Content-Length: 0|Via: 1.1 edge|Connection: close", false),
        Arguments.of("204 carries no Content-Length",
            HttpVersion.HTTP_1_1, 204, "Content-Length: 0", HttpVersion.HTTP_1_1, false, false, true,
            "Via: 1.1 edge", true));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("responses")
  void clientResponseDeclaresFramingAndConnection(String rule, HttpVersion originVersion, int status, String in,
      HttpVersion clientVersion, boolean hasBody, boolean transformed, boolean keepAlive, String expected,
      boolean expectedKeepAlive) {
    HttpResponseHead origin = new HttpResponseHead(originVersion, status, HttpStatus.reason(status), fields(in));
    ProxyHeaderRules.ClientResponseFields out = rules.clientResponse(origin, clientVersion, hasBody, transformed,
        keepAlive);
    assertEquals(fields(expected), out.headers(), rule);
    assertEquals(expectedKeepAlive, out.keepAlive(), rule);
  }

  @Test
  void appendViaNamesTheVersionOfEachHop() {
    HttpHeaders h = new HttpHeaders();
    rules.appendVia(h, HttpVersion.HTTP_1_1);
    rules.appendVia(h, HttpVersion.HTTP_1_0);
    assertEquals("1.1 edge, 1.0 edge", h.get("Via"));
  }

  @Test
  void hopByHopFieldsGoInAnyCaseAndTheKeptFieldsAreTheSameFieldsInOrder() {
    HttpHeaders in = fields("KEEP-ALIVE: 5|X-A: 1|pRoXy-AuThOrIzAtIoN: Basic x|tE: trailers|Te: x|TRAILER: X-T"
        + "|UpGrAdE: h2c|Proxy-connection: x|PROXY-AUTHENTICATE: y|CONNECTION: close|X-B: 2|X-Keep-Alive: 3");
    HttpHeaders out = ProxyHeaderRules.endToEnd(in);
    assertEquals(fields("X-A: 1|X-B: 2|X-Keep-Alive: 3"), out);
    for (String name : ProxyHeaderRules.HOP_BY_HOP) {
      assertTrue(ProxyHeaderRules.isHopByHop(name.toUpperCase(java.util.Locale.ROOT)), name);
    }
    assertFalse(ProxyHeaderRules.isHopByHop("tea"));
    assertFalse(ProxyHeaderRules.isHopByHop("t"));
  }

  @Test
  void fieldsNamedInConnectionGoInAnyCaseButFramingNamedInAnyCaseStays() {
    HttpHeaders in = fields("Connection: keep-alive, X-DROP, content-LENGTH, HOST|x-drop: 1|X-Drop: 2|X-Dropped: 3"
        + "|Content-Length: 4|host: h|Keep-Alive: timeout=5");
    assertEquals(fields("X-Dropped: 3|Content-Length: 4|host: h"), ProxyHeaderRules.endToEnd(in));
    StringBuilder many = new StringBuilder("Connection: X-DROP, content-LENGTH");
    for (int i = 0; i < 20; i++) {
      many.append(", x-other-").append(i);
    }
    HttpHeaders longList = fields(many + "|x-drop: 1|X-Other-7: 2|X-Kept: 3|Content-Length: 4");
    assertEquals(fields("X-Kept: 3|Content-Length: 4"), ProxyHeaderRules.endToEnd(longList));
  }

  @Test
  void framingFieldsAreNeverDroppedByConnectionButHopByHopAlwaysIs() {
    HttpHeaders in = fields("Connection: Transfer-Encoding, Content-Length, Host, Date|Content-Length: 1|Host: h"
        + "|Date: today|Transfer-Encoding: chunked");
    HttpHeaders out = ProxyHeaderRules.endToEnd(in);
    assertEquals(fields("Content-Length: 1|Host: h"), out);
    assertTrue(ProxyHeaderRules.HOP_BY_HOP.contains("transfer-encoding"));
    assertFalse(out.contains("Connection"));
  }

  @Test
  void forwardedTrailersDropsEveryFieldThatMayNotBeATrailerInAnyCaseAndKeepsTheRestInOrder() {
    HttpHeaders in = fields("X-A: 1|content-length: 5|TRANSFER-ENCODING: chunked|Host: evil|Authorization: x"
        + "|Set-Cookie: s=1|Content-Type: text/html|Cache-Control: no-store|Trailer: X-A|Connection: close"
        + "|Server-Timing: db;dur=5|Location: /x|X-A: 2");
    assertEquals(fields("X-A: 1|Server-Timing: db;dur=5|X-A: 2"), ProxyHeaderRules.forwardedTrailers(in));
    for (String name : ProxyHeaderRules.NOT_IN_TRAILERS) {
      assertTrue(ProxyHeaderRules.forwardedTrailers(fields(name + ": v")).isEmpty(), name);
    }
  }

  @Test
  void acceptsTrailersOnlyForTheTrailersMemberOfTe() {
    for (String yes : new String[] {"TE: trailers", "TE: Trailers", "TE: gzip;q=0.5, trailers",
        "TE: deflate|TE: trailers ", "TE: trailers;q=1"}) {
      assertTrue(ProxyHeaderRules.acceptsTrailers(fields(yes)), yes);
    }
    for (String no : new String[] {"TE: gzip", "TE: trailersx", "X-TE: trailers", "Accept: trailers", "TE: "}) {
      assertFalse(ProxyHeaderRules.acceptsTrailers(fields(no)), no);
    }
    assertFalse(ProxyHeaderRules.acceptsTrailers(new HttpHeaders()));
  }

  @ParameterizedTest(name = "client [{0}], 101 [{1}] -> {2}")
  @CsvSource(delimiter = ';', value = {
      "Upgrade: websocket|Connection: upgrade; Upgrade: websocket; true",
      "Upgrade: websocket|Connection: upgrade; Upgrade: WebSocket; true",
      "Upgrade: foo/2, websocket|Connection: upgrade; Upgrade: foo/2; true",
      "Upgrade: websocket|Connection: upgrade; Upgrade: h2c; false",
      "Upgrade: websocket|Connection: upgrade; Upgrade: websocket, h2c; false",
      "Upgrade: websocket|Connection: upgrade; X-None: 1; false",
      "Upgrade: websocket|Connection: keep-alive; Upgrade: websocket; false",
      "Connection: upgrade; Upgrade: websocket; false"})
  void switchAcceptedOnlyForAProtocolTheClientAskedFor(String request, String response, boolean accepted) {
    HttpRequestHead client = new HttpRequestHead("GET", "/", HttpVersion.HTTP_1_1, fields(request));
    HttpRequestHead server = new HttpRequestHead("GET", "/", HttpVersion.HTTP_1_1,
        rules.forwardedRequest(client.headers(), client.version()));
    HttpResponseHead head = new HttpResponseHead(HttpVersion.HTTP_1_1, 101, "Switching Protocols", fields(response));
    assertEquals(accepted, ProxyHeaderRules.switchAccepted(client, server, head));
  }

  @Test
  void switchAcceptedNeedsTheUpgradeInTheRequestSentOnAndAnHttp11Response() {
    HttpRequestHead client = new HttpRequestHead("GET", "/", HttpVersion.HTTP_1_1,
        fields("Upgrade: websocket|Connection: upgrade"));
    HttpRequestHead strippedByAHook = new HttpRequestHead("GET", "/", HttpVersion.HTTP_1_1, fields("Via: 1.1 edge"));
    HttpResponseHead ok = new HttpResponseHead(HttpVersion.HTTP_1_1, 101, "", fields("Upgrade: websocket"));
    HttpResponseHead old = new HttpResponseHead(HttpVersion.HTTP_1_0, 101, "", fields("Upgrade: websocket"));
    assertTrue(ProxyHeaderRules.switchAccepted(client, client, ok));
    assertFalse(ProxyHeaderRules.switchAccepted(client, strippedByAHook, ok));
    assertFalse(ProxyHeaderRules.switchAccepted(client, client, old));
  }

  private static HttpHeaders fields(String lines) {
    HttpHeaders h = new HttpHeaders();
    for (String line : lines.split("\\|")) {
      int colon = line.indexOf(':');
      h.add(line.substring(0, colon), line.substring(colon + 1).trim());
    }
    return h;
  }
}
