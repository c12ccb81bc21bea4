package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * What the proxy normalises and rejects on the way to an origin (docs/http.md): fields named in {@code Connection}
 * never change the framing, paths are normalised before anything routes on them, and chunk extensions are held to
 * the grammar. Each attack is sent as exact bytes and judged by what the origin received.
 */
class HttpNormalisationTest {
  static final String ORIGIN = "10.0.0.1:8080";
  static final String SMUGGLED = "GET /x?SMUGGLED HTTP/1.1\r\nHost: t\r\nX-Pad: ppppppppppppp\r\n\r\n";

  static HttpRig rig(String from, String to, Consumer<HttpProxyConfig.Builder> more) {
    return new HttpRig(b -> {
      b.remap(RemapRule.parse(from, to));
      more.accept(b);
    });
  }

  static HttpRig rig() {
    return rig("http://t/", "http://" + ORIGIN + "/", b -> {});
  }

  /** One request as an origin that reads by the RFC 9112 rules parses it from the bytes it received. */
  record Parsed(HttpRequestHead head, String body) {}

  /** Parses every request in {@code bytes}; fails if bytes are left that are not a whole request. */
  static List<Parsed> parseRequests(String bytes) {
    BlockPool pool = new BlockPool();
    IOBuffer in = new IOBuffer(pool);
    IOBufferReader reader = in.allocReader();
    IOBuffer body = new IOBuffer(pool);
    IOBufferReader bodyReader = body.allocReader();
    in.write(bytes.getBytes(StandardCharsets.ISO_8859_1));
    List<Parsed> out = new ArrayList<>();
    try {
      HttpHeadParser parser = new HttpHeadParser();
      while (reader.readAvail() > 0) {
        HttpHeadParser.Result<HttpRequestHead> r = parser.parseRequest(reader);
        if (!(r instanceof HttpHeadParser.Parsed<HttpRequestHead> p)) {
          throw new AssertionError("not a whole request at the end of what the origin received: " + r);
        }
        BodyDecoder decoder = BodyDecoder.forRequest(p.head().headers(), 65536);
        decoder.decode(reader, new BodySink(body, bodyReader, Long.MAX_VALUE, false));
        assertTrue(decoder.isDone(), "the body the origin received is whole");
        byte[] b = new byte[(int) bodyReader.readAvail()];
        bodyReader.read(b, 0, b.length);
        out.add(new Parsed(p.head(), new String(b, StandardCharsets.ISO_8859_1)));
      }
    } catch (BadMessageException e) {
      throw new AssertionError("the origin received a bad body", e);
    } finally {
      in.close();
      body.close();
    }
    return out;
  }

  @Nested
  class FieldsNamedInConnection {
    @Test
    void connection_content_length_keeps_the_length_and_the_origin_reads_the_body_as_a_body() {
      assertEquals(59, SMUGGLED.length(), "the attack's body is 59 bytes");
      try (HttpRig rig = rig()) {
        ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
        HttpRig.Client c = rig.client();
        c.send("POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 59\r\nConnection: Content-Length\r\n\r\n" + SMUGGLED);
        rig.run();
        List<Parsed> got = parseRequests(origin.conn(0).received());
        assertEquals(1, got.size(), origin.conn(0).received());
        assertEquals("POST", got.get(0).head().method());
        assertEquals("59", got.get(0).head().headers().get(HttpHeaders.CONTENT_LENGTH));
        assertFalse(got.get(0).head().headers().contains(HttpHeaders.CONNECTION));
        assertEquals(SMUGGLED, got.get(0).body());
        origin.conn(0).send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        rig.run();
        assertEquals("ok", c.response().body());
      }
    }

    @Test
    void connection_transfer_encoding_keeps_the_chunked_framing() {
      try (HttpRig rig = rig()) {
        ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
        HttpRig.Client c = rig.client();
        c.send("POST /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: Transfer-Encoding\r\n\r\n"
            + Integer.toHexString(SMUGGLED.length()) + "\r\n" + SMUGGLED + "\r\n0\r\n\r\n");
        rig.run();
        List<Parsed> got = parseRequests(origin.conn(0).received());
        assertEquals(1, got.size(), origin.conn(0).received());
        assertTrue(got.get(0).head().headers().isChunked(), origin.conn(0).received());
        assertEquals(SMUGGLED, got.get(0).body());
        origin.conn(0).send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        rig.run();
        assertEquals("ok", c.response().body());
      }
    }

    @Test
    void connection_host_keeps_host_for_an_intercept() {
      HttpInterceptTest.Server[] server = new HttpInterceptTest.Server[1];
      try (HttpRig rig = HttpInterceptTest.interceptingRig(server, HttpInterceptTest.Ending.CLOSE, false,
          req -> "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")) {
        HttpRig.Client c = rig.client();
        c.send("GET /a HTTP/1.1\r\nHost: real.test\r\nConnection: Host\r\n\r\n");
        rig.run();
        assertEquals("ok", c.response().body());
        List<Parsed> got = parseRequests(server[0].requests.get(0));
        assertEquals("real.test", got.get(0).head().headers().get(HttpHeaders.HOST));
      }
    }

    @Test
    void response_with_connection_content_length_keeps_its_length_to_the_client() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN,
            req -> "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: Content-Length\r\n\r\nhello");
        HttpRig.Client c = rig.client();
        c.send("GET /1 HTTP/1.1\r\nHost: t\r\n\r\n");
        rig.run();
        c.send("GET /2 HTTP/1.1\r\nHost: t\r\n\r\n");
        rig.run();
        List<Response> rs = c.responses();
        assertEquals(2, rs.size(), c.received());
        assertEquals("5", rs.get(0).header("Content-Length"), c.received());
        assertFalse(rs.get(0).has("Transfer-Encoding"));
        assertEquals("hello", rs.get(0).body());
        assertEquals("hello", rs.get(1).body());
        assertFalse(c.eos);
        assertEquals(1, origin.connections(), "the framing held, so the connection was reused");
      }
    }

    @Test
    void origin_that_sends_more_than_its_response_is_not_reused_and_the_extra_reaches_nobody() {
      try (HttpRig rig = rig()) {
        ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
        HttpRig.Client a = rig.client();
        a.send("GET /a HTTP/1.1\r\nHost: t\r\n\r\n");
        rig.run();
        origin.conn(0).send("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"
            + "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\npoisoned");
        rig.run();
        assertEquals("one", a.response().body());
        assertEquals(0, rig.proxy.idleOriginConnections(), "a connection with bytes beyond its response");
        assertTrue(origin.conn(0).eos, "the proxy closed it");
        HttpRig.Client b = rig.client();
        b.send("GET /b HTTP/1.1\r\nHost: t\r\n\r\n");
        rig.run();
        assertEquals(2, origin.conns.size(), "a new connection for the next request");
        assertTrue(origin.conn(1).received().startsWith("GET /b HTTP/1.1\r\n"), origin.conn(1).received());
        origin.conn(1).send("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo");
        rig.run();
        assertEquals("two", b.response().body());
        assertFalse(a.received().contains("poisoned") || b.received().contains("poisoned"));
      }
    }

    @Test
    void body_bytes_after_a_bodiless_response_are_beyond_it_and_the_connection_is_not_reused() {
      for (String method : List.of("HEAD", "GET")) {
        try (HttpRig rig = rig()) {
          ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
          HttpRig.Client a = rig.client();
          a.send(method + " /a HTTP/1.1\r\nHost: t\r\n\r\n");
          rig.run();
          // A HEAD response and a 204 have no body whatever their fields say: these bytes are not part of them.
          origin.conn(0).send(method.equals("HEAD") ? "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\npoisoned"
              : "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\npoisoned");
          rig.run();
          assertEquals(1, a.responses(method).size(), a.received());
          assertEquals(0, rig.proxy.idleOriginConnections(), method);
          HttpRig.Client b = rig.client();
          b.send("GET /b HTTP/1.1\r\nHost: t\r\n\r\n");
          rig.run();
          assertEquals(2, origin.conns.size(), "a new connection for the next request");
          origin.conn(1).send("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo");
          rig.run();
          assertEquals("two", b.response().body());
          assertFalse(a.received().contains("poisoned"), a.received());
        }
      }
    }
  }

  @Nested
  class Paths {
    static final String API = "10.0.0.1:8080";

    HttpRig apiRig(Consumer<HttpProxyConfig.Builder> more) {
      return rig("http://*/api/", "http://" + API + "/v1/", more);
    }

    /** Sends {@code target} and checks the answer is {@code status} and no origin connection was made. */
    void assertAnsweredWithoutOrigin(String target, int status) {
      try (HttpRig rig = apiRig(b -> {})) {
        TestOrigin origin = rig.origin(API, req -> "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        HttpRig.Client c = rig.client();
        c.send("GET " + target + " HTTP/1.1\r\nHost: t\r\n\r\n");
        rig.run();
        if (status == 404) {
          HttpBadInputTest.assertErrorKeptAlive(rig, c, status);
        } else {
          HttpBadInputTest.assertErrorAndClosed(rig, c, status);
        }
        assertTrue(rig.connectAttempts.isEmpty(), target + ": no origin connection");
        assertEquals(0, origin.requests.size());
      }
    }

    @Test
    void dot_segments_that_leave_the_remap_prefix_get_404_without_contacting_the_origin() {
      for (String target : List.of("/api/../admin", "/api/%2e%2e/admin", "/api/%2E%2E/admin", "/api/.%2e/admin",
          "/api/x/../../admin", "/api/./../admin", "http://t/api/../admin", "/api/..", "/api/%2e%2E")) {
        assertAnsweredWithoutOrigin(target, 404);
      }
    }

    @Test
    void paths_that_climb_above_the_root_or_hide_a_separator_get_400_without_contacting_the_origin() {
      for (String target : List.of("/../x", "/%2e%2e/x", "/api/../../x", "http://t/api/../../x", "/api\\..\\admin",
          "/api/..%2Fadmin", "/api/..%2fadmin", "/api/..%5Cadmin", "/api/..;/admin", "/api/%zz", "/api/%2",
          "/api/a#/../../x")) {
        assertAnsweredWithoutOrigin(target, 400);
      }
    }

    @Test
    void the_origin_receives_the_normalised_path_and_the_query_as_sent() {
      try (HttpRig rig = apiRig(b -> {})) {
        ManualOrigin origin = new ManualOrigin(rig, API);
        HttpRig.Client c = rig.client();
        c.send("GET /api/a/./b/../c%7e%2fd%41/%2E?x=%2e%2e/../ HTTP/1.1\r\nHost: t\r\n\r\n");
        c.send("GET http://t/%61pi/x/.. HTTP/1.1\r\nHost: t\r\n\r\n");
        rig.run();
        origin.conn(0).send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        rig.run();
        origin.conn(0).send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        rig.run();
        List<Parsed> got = parseRequests(origin.conn(0).received());
        assertEquals(2, got.size(), origin.conn(0).received());
        assertEquals("/v1/a/c~%2FdA/?x=%2e%2e/../", got.get(0).head().target());
        assertEquals("/v1/", got.get(1).head().target());
        assertEquals(2, c.responses().size());
        assertEquals("/api/a/c~%2FdA/?x=%2e%2e/../", rig.log.get(0).url(), "the log shows the normalised target");
      }
    }

    @Test
    void hooks_and_intercepts_see_the_normalised_path() {
      List<String> seenByHook = new ArrayList<>();
      HttpInterceptTest.Server[] server = new HttpInterceptTest.Server[1];
      Continuation hook = new Continuation((event, data) -> {
        HttpTxn txn = (HttpTxn) data;
        seenByHook.add(txn.clientRequest().target());
        if (txn.clientRequest().target().startsWith("/private/")) {
          txn.intercept(server[0].cont); // the plugin serves /private/ itself
        }
        txn.reenable();
      });
      try (HttpRig rig = apiRig(b -> b.hooks(HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, hook).build()))) {
        server[0] = new HttpInterceptTest.Server(rig.pool, HttpInterceptTest.Ending.CLOSE, false,
            req -> "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nprivate");
        TestOrigin origin = rig.origin(API, req -> "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\napi");
        HttpRig.Client c = rig.client();
        c.send("GET /api/%2e%2e/private/x HTTP/1.1\r\nHost: t\r\n\r\n");
        c.send("GET /private/../api/y HTTP/1.1\r\nHost: t\r\n\r\n");
        rig.run();
        assertEquals(List.of("/private/x", "/api/y"), seenByHook);
        List<Response> rs = c.responses();
        assertEquals(2, rs.size(), c.received());
        assertEquals("private", rs.get(0).body());
        assertEquals("api", rs.get(1).body());
        assertTrue(server[0].requests.get(0).startsWith("GET /private/x HTTP/1.1\r\n"), server[0].requests.get(0));
        assertEquals("/v1/y", origin.requests.get(0).head().target());
      }
    }

    @Test
    void a_rule_prefix_is_normalised_as_requests_are_so_an_encoded_prefix_still_matches() {
      assertEquals("/~user/", RemapRule.parse("http://*/%7Euser/./", "http://" + API + "/u/").pathPrefix());
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> RemapRule.parse("http://*/../x/", "http://" + API + "/u/"));
      assertTrue(e.getMessage().contains("pathPrefix"), e.getMessage());
      try (HttpRig rig = rig("http://*/%7Euser/", "http://" + API + "/u/", b -> {})) {
        TestOrigin origin = rig.origin(API, req -> "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        HttpRig.Client c = rig.client();
        c.send("GET /%7euser/page HTTP/1.1\r\nHost: t\r\n\r\n");
        rig.run();
        assertEquals(200, c.responses().get(0).status(), c.received());
        assertEquals("/u/page", origin.requests.get(0).head().target());
      }
    }

    @Test
    void a_target_a_hook_sets_is_normalised_before_remap() {
      Continuation hook = new Continuation((event, data) -> {
        HttpTxn txn = (HttpTxn) data;
        HttpRequestHead r = txn.clientRequest();
        txn.setClientRequest(new HttpRequestHead(r.method(), "/api/../admin", r.version(), r.headers()));
        txn.reenable();
      });
      try (HttpRig rig = apiRig(b -> b.hooks(HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, hook).build()))) {
        rig.origin(API, req -> "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        HttpRig.Client c = rig.client();
        c.send("GET /api/ok HTTP/1.1\r\nHost: t\r\n\r\n");
        rig.run();
        HttpBadInputTest.assertErrorKeptAlive(rig, c, 404);
        assertTrue(rig.connectAttempts.isEmpty());
      }
    }
  }

  @Nested
  class ChunkExtensions {
    @Test
    void quoted_crlf_in_a_chunk_extension_is_400_and_the_origin_gets_nothing_of_the_chunk() {
      try (HttpRig rig = rig()) {
        ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
        HttpRig.Client c = rig.client();
        // A parser that ends the size line at the quoted CRLF reads the data 'b"' and a last chunk.
        c.send("POST /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2;x=\"a\r\nb\"\r\n0\r\n\r\n");
        rig.run();
        HttpBadInputTest.assertErrorAndClosed(rig, c, 400);
        for (ManualOrigin.Conn conn : origin.conns) {
          assertFalse(conn.received().contains("b\""), conn.received());
          assertFalse(conn.received().contains("\r\n0\r\n"), "no end of a body: " + conn.received());
        }
      }
    }

    @Test
    void well_formed_extensions_are_accepted_and_dropped() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        HttpRig.Client c = rig.client();
        c.send("POST /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5 ; a=b ;c=\"q\\\"x;\" ;d\r\nhello\r\n0;e\r\n\r\n");
        rig.run();
        assertEquals("ok", c.response().body());
        assertEquals("hello", origin.requests.get(0).body());
      }
    }
  }
}
