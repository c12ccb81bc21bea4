package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** How the proxy forwards well-formed requests and responses: methods, body framing, keep-alive, headers, remap. */
class HttpRequestsTest {
  static final String ORIGIN = "10.0.0.1:8080";

  static HttpRig rig() {
    return new HttpRig(b -> b.remap(RemapRule.parse("http://example.test/", "http://" + ORIGIN + "/")));
  }

  static String ok(String body) {
    return "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
  }

  static String get(String path) {
    return "GET " + path + " HTTP/1.1\r\nHost: example.test\r\n\r\n";
  }

  @Nested
  class Methods {
    @Test
    void get_is_forwarded_and_the_content_length_response_comes_back_on_an_open_connection() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> ok("hello"));
        HttpRig.Client c = rig.client();
        c.send(get("/a?b=c"));
        rig.run();
        Response r = c.response();
        assertEquals(200, r.status());
        assertEquals("HTTP/1.1", r.version());
        assertEquals("5", r.header("Content-Length"));
        assertEquals("hello", r.body());
        assertFalse(r.chunked());
        assertFalse(c.eos, "a 1.1 connection stays open");
        assertEquals(1, origin.requests.size());
        HttpRequestHead seen = origin.requests.get(0).head();
        assertEquals("GET", seen.method());
        assertEquals("/a?b=c", seen.target());
        assertEquals(HttpVersion.HTTP_1_1, seen.version());
      }
    }

    @Test
    void head_gets_the_origin_headers_and_no_body_and_the_connection_stays_usable() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> req.head().method().equals("HEAD")
            ? "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" : ok("after"));
        HttpRig.Client c = rig.client();
        c.send("HEAD /a HTTP/1.1\r\nHost: example.test\r\n\r\n");
        rig.run();
        c.send(get("/b"));
        rig.run();
        List<Response> rs = c.responses("HEAD", "GET");
        assertEquals(2, rs.size(), c.received());
        assertEquals("5", rs.get(0).header("Content-Length"), "HEAD keeps the length of the body it would have");
        assertEquals("", rs.get(0).body());
        assertEquals("after", rs.get(1).body());
        assertEquals("HEAD", origin.requests.get(0).head().method());
        assertEquals(1, origin.connections());
      }
    }

    @Test
    void post_body_with_content_length_reaches_the_origin_exactly() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> ok("got " + req.body().length()));
        HttpRig.Client c = rig.client();
        String body = "name=value&x=1";
        c.send("POST /form HTTP/1.1\r\nHost: example.test\r\nContent-Length: " + body.length()
            + "\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n" + body);
        rig.run();
        assertEquals("got 14", c.response().body());
        TestOrigin.Request seen = origin.requests.get(0);
        assertEquals("POST", seen.head().method());
        assertEquals(body, seen.body());
        assertEquals("14", seen.head().headers().get("Content-Length"));
        assertEquals("application/x-www-form-urlencoded", seen.head().headers().get("Content-Type"));
      }
    }

    @Test
    void post_body_arriving_in_pieces_is_forwarded_whole() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> ok(req.body()));
        HttpRig.Client c = rig.client();
        c.send("POST /p HTTP/1.1\r\nHost: example.test\r\nContent-Length: 10\r\n\r\nabc");
        rig.run();
        assertEquals("", c.received(), "no response before the body is complete");
        c.send("defg");
        rig.run();
        c.send("hij");
        rig.run();
        assertEquals("abcdefghij", c.response().body());
        assertEquals("abcdefghij", origin.requests.get(0).body());
      }
    }

    @Test
    void chunked_request_body_is_forwarded_chunked_and_the_origin_sees_the_exact_body() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> ok("ok"));
        HttpRig.Client c = rig.client();
        c.send("POST /up HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5\r\nhello\r\n6;ext=1\r\n world\r\n");
        rig.run();
        c.send("1\r\n!\r\n0\r\nX-Trailer: t\r\n\r\n");
        rig.run();
        assertEquals(200, c.response().status());
        TestOrigin.Request seen = origin.requests.get(0);
        assertEquals("hello world!", seen.body());
        assertTrue(seen.head().headers().isChunked(), "re-chunked toward the origin");
        assertNull(seen.head().headers().get("Content-Length"));
        assertFalse(c.eos);
      }
    }
  }

  @Nested
  class ResponseFraming {
    @Test
    void chunked_origin_response_stays_chunked_for_an_http11_client() {
      try (HttpRig rig = rig()) {
        rig.origin(ORIGIN, req -> "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n");
        HttpRig.Client c = rig.client();
        c.send(get("/a"));
        rig.run();
        Response r = c.response();
        assertTrue(r.chunked());
        assertEquals("hello, world", r.body());
        assertFalse(r.has("Content-Length"));
        assertFalse(c.eos, "chunked framing keeps the connection alive");
      }
    }

    @Test
    void chunked_origin_response_to_an_http10_client_is_close_delimited_with_connection_close() {
      try (HttpRig rig = rig()) {
        rig.origin(ORIGIN, req -> "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n");
        HttpRig.Client c = rig.client();
        // Asks for keep-alive, which the proxy cannot give: HTTP/1.0 has no chunking.
        c.send("GET /a HTTP/1.0\r\nHost: example.test\r\nConnection: keep-alive\r\n\r\n");
        rig.run();
        Response r = c.response();
        assertTrue(r.closeDelimited(), c.received());
        assertEquals("hello, world", r.body());
        assertFalse(r.has("Transfer-Encoding"));
        assertEquals(List.of("close"), r.tokens("Connection"));
        assertTrue(c.eos, "the end of the body is the end of the connection");
      }
    }

    @Test
    void close_delimited_origin_response_is_chunked_for_an_http11_client_that_stays_connected() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"
            + "until the origin closes " + req.connection());
        origin.closeAfterResponse = true;
        HttpRig.Client c = rig.client();
        c.send(get("/a"));
        rig.run();
        Response r = c.response();
        assertTrue(r.chunked(), c.received());
        assertEquals("until the origin closes 0", r.body());
        assertFalse(c.eos);
        c.send(get("/b"));
        rig.run();
        assertEquals("until the origin closes 1", c.responses().get(1).body());
        assertEquals(2, origin.connections(), "a close-delimited response cannot leave a reusable connection");
        assertEquals(0, rig.proxy.idleOriginConnections());
      }
    }

    @Test
    void response_body_arriving_in_pieces_is_streamed_as_it_comes() {
      try (HttpRig rig = rig()) {
        ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
        HttpRig.Client c = rig.client();
        c.send(get("/slow"));
        rig.run();
        origin.conn(0).send("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nfirst");
        rig.run(); // must go idle: nothing to do until the origin sends more
        assertTrue(c.received().endsWith("\r\n\r\nfirst"), c.received());
        origin.conn(0).send(" sec");
        rig.run();
        assertTrue(c.received().endsWith("first sec"), c.received());
        origin.conn(0).send("ond");
        rig.run();
        assertEquals("first second", c.response().body());
        assertEquals(1, rig.proxy.idleOriginConnections());
      }
    }

    @Test
    void chunked_response_arriving_in_pieces_is_streamed_as_it_comes() {
      try (HttpRig rig = rig()) {
        ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
        HttpRig.Client c = rig.client();
        c.send(get("/slow"));
        rig.run();
        origin.conn(0).send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2");
        rig.run();
        origin.conn(0).send("\r\nde\r\n");
        rig.run();
        assertFalse(c.received().endsWith("0\r\n\r\n"), "not ended early");
        origin.conn(0).send("0\r\n\r\n");
        rig.run();
        assertEquals("abcde", c.response().body());
      }
    }

    @Test
    void interim_responses_from_the_origin_are_dropped() {
      try (HttpRig rig = rig()) {
        rig.origin(ORIGIN, req -> "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
            + ok("final"));
        HttpRig.Client c = rig.client();
        c.send(get("/a"));
        rig.run();
        List<Response> rs = c.responses();
        assertEquals(1, rs.size(), c.received());
        assertEquals("final", rs.get(0).body());
      }
    }

    @Test
    void http10_origin_without_keep_alive_is_not_pooled_but_the_client_stays_connected() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nold");
        HttpRig.Client c = rig.client();
        c.send(get("/a"));
        rig.run();
        c.send(get("/b"));
        rig.run();
        List<Response> rs = c.responses();
        assertEquals(2, rs.size());
        assertEquals("HTTP/1.1", rs.get(0).version(), "the proxy answers in its own version");
        assertEquals("1.0 vconn", rs.get(0).header("Via"), "Via names the protocol the proxy received");
        assertEquals(2, origin.connections());
        assertFalse(c.eos);
      }
    }

    @Test
    void status_204_and_304_have_no_body_and_keep_the_connection() {
      try (HttpRig rig = rig()) {
        rig.origin(ORIGIN, req -> switch (req.head().target()) {
          case "/204" -> "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n";
          case "/304" -> "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n";
          default -> ok("last");
        });
        HttpRig.Client c = rig.client();
        c.send(get("/204"));
        rig.run();
        c.send(get("/304"));
        rig.run();
        c.send(get("/x"));
        rig.run();
        List<Response> rs = c.responses();
        assertEquals(3, rs.size(), c.received());
        assertEquals(204, rs.get(0).status());
        assertFalse(rs.get(0).has("Content-Length"), "204 carries no Content-Length");
        assertFalse(rs.get(0).has("Transfer-Encoding"));
        assertEquals(304, rs.get(1).status());
        assertFalse(rs.get(1).has("Transfer-Encoding"));
        assertEquals("\"v1\"", rs.get(1).header("ETag"));
        assertEquals("last", rs.get(2).body());
      }
    }
  }

  @Nested
  class KeepAlive {
    @Test
    void several_requests_on_one_client_connection_reuse_one_origin_connection() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> ok("body of " + req.head().target()));
        HttpRig.Client c = rig.client();
        for (int i = 0; i < 4; i++) {
          c.send(get("/r" + i));
          rig.run();
        }
        List<Response> rs = c.responses();
        assertEquals(4, rs.size());
        for (int i = 0; i < 4; i++) {
          assertEquals("body of /r" + i, rs.get(i).body());
        }
        assertEquals(1, origin.connections());
        assertEquals(4, origin.requests.size());
        assertEquals(4, rig.log.size());
        assertEquals(1, rig.proxy.openSessions());
        assertEquals(1, rig.proxy.idleOriginConnections());
      }
    }

    @Test
    void pipelined_requests_in_one_write_are_answered_in_order() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> req.head().method().equals("HEAD")
            ? "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n"
            : ok(req.head().method() + " " + req.head().target() + (req.body().isEmpty() ? "" : " " + req.body())));
        HttpRig.Client c = rig.client();
        c.send(get("/one") + "POST /two HTTP/1.1\r\nHost: example.test\r\nContent-Length: 3\r\n\r\nabc"
            + "HEAD /three HTTP/1.1\r\nHost: example.test\r\n\r\n" + get("/four"));
        rig.run();
        List<Response> rs = c.responses("GET", "POST", "HEAD", "GET");
        assertEquals(4, rs.size(), c.received());
        assertEquals("GET /one", rs.get(0).body());
        assertEquals("POST /two abc", rs.get(1).body());
        assertEquals("", rs.get(2).body());
        assertEquals("GET /four", rs.get(3).body());
        assertEquals(1, origin.connections());
        assertFalse(c.eos);
      }
    }

    @Test
    void http10_without_keep_alive_gets_connection_close_and_the_connection_closes() {
      try (HttpRig rig = rig()) {
        rig.origin(ORIGIN, req -> ok("old"));
        HttpRig.Client c = rig.client();
        c.send("GET /a HTTP/1.0\r\nHost: example.test\r\n\r\n");
        rig.run();
        Response r = c.response();
        assertEquals("old", r.body());
        assertEquals(List.of("close"), r.tokens("Connection"));
        assertTrue(c.eos);
        assertEquals(1, rig.log.size());
      }
    }

    @Test
    void http10_with_connection_keep_alive_stays_open() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> ok("v" + origin(req)));
        HttpRig.Client c = rig.client();
        c.send("GET /a HTTP/1.0\r\nHost: example.test\r\nConnection: keep-alive\r\n\r\n");
        rig.run();
        assertFalse(c.eos);
        c.send("GET /b HTTP/1.0\r\nHost: example.test\r\nConnection: keep-alive\r\n\r\n");
        rig.run();
        List<Response> rs = c.responses();
        assertEquals(2, rs.size());
        assertEquals(List.of("keep-alive"), rs.get(0).tokens("Connection"));
        assertEquals(List.of("keep-alive"), rs.get(1).tokens("Connection"));
        assertFalse(c.eos);
        assertEquals(1, origin.connections());
        assertEquals(HttpVersion.HTTP_1_1, origin.requests.get(0).head().version(), "the proxy speaks 1.1 upstream");
      }
    }

    private static String origin(TestOrigin.Request req) {
      return req.head().target();
    }

    @Test
    void connection_close_from_the_client_is_honoured_after_the_response() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> ok("bye"));
        HttpRig.Client c = rig.client();
        c.send("GET /a HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n");
        rig.run();
        Response r = c.response();
        assertEquals("bye", r.body());
        assertEquals(List.of("close"), r.tokens("Connection"));
        assertTrue(c.eos);
        assertFalse(origin.requests.get(0).head().headers().contains("Connection"),
            "the client's Connection is hop-by-hop");
        assertEquals(1, rig.proxy.idleOriginConnections(), "the origin connection is still good");
        c.close();
        assertEquals(0, rig.proxy.openSessions());
      }
    }

    @Test
    void half_closed_client_still_gets_its_response_and_then_the_connection_closes() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> ok("late"));
        origin.defer = true;
        HttpRig.Client c = rig.client();
        c.send(get("/a"));
        rig.run();
        c.shutdownWrite(); // like fetcher.h's TSVConnShutdown(vc, 0, 1) after the request
        rig.run();
        assertEquals("", c.received());
        origin.answerDeferred();
        rig.run();
        assertEquals("late", c.response().body());
        assertTrue(c.eos, "closed once the response was sent");
        assertEquals(0, rig.proxy.openSessions());
      }
    }

    @Test
    void half_closed_client_gets_every_pipelined_response() {
      try (HttpRig rig = rig()) {
        rig.origin(ORIGIN, req -> ok(req.head().target()));
        HttpRig.Client c = rig.client();
        c.send(get("/1") + get("/2"));
        c.shutdownWriteAfterSending();
        rig.run();
        List<Response> rs = c.responses();
        assertEquals(2, rs.size(), c.received());
        assertEquals("/2", rs.get(1).body());
        assertTrue(c.eos);
        assertEquals(0, rig.proxy.openSessions());
      }
    }
  }

  @Nested
  class Expectations {
    @Test
    void expect_100_continue_gets_an_interim_response_before_the_body_and_the_origin_sees_no_expect() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> ok("stored " + req.body()));
        HttpRig.Client c = rig.client();
        c.send("PUT /f HTTP/1.1\r\nHost: example.test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
        rig.run();
        assertEquals("HTTP/1.1 100 Continue\r\n\r\n", c.received());
        c.send("hello");
        rig.run();
        List<Response> rs = c.responses("PUT");
        assertEquals(2, rs.size(), c.received());
        assertEquals(100, rs.get(0).status());
        assertEquals(200, rs.get(1).status());
        assertEquals("stored hello", rs.get(1).body());
        assertNull(origin.requests.get(0).head().headers().get("Expect"));
        assertEquals("hello", origin.requests.get(0).body());
      }
    }

    @Test
    void an_unsupported_expectation_gets_417_and_a_closed_connection() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> ok("no"));
        HttpRig.Client c = rig.client();
        c.send("PUT /f HTTP/1.1\r\nHost: example.test\r\nContent-Length: 5\r\nExpect: something-else\r\n\r\nhello");
        rig.run();
        assertEquals(417, c.response().status());
        assertTrue(c.eos);
        assertEquals(0, origin.connections());
      }
    }
  }

  @Nested
  class Headers {
    @Test
    void via_is_added_to_the_request_and_the_response_after_existing_values() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN,
            req -> "HTTP/1.1 200 OK\r\nVia: 1.1 origin-cache\r\nContent-Length: 2\r\n\r\nok");
        HttpRig.Client c = rig.client();
        c.send("GET /a HTTP/1.1\r\nHost: example.test\r\nVia: 1.0 fred\r\n\r\n");
        c.send("GET /b HTTP/1.0\r\nHost: example.test\r\nConnection: keep-alive\r\n\r\n");
        rig.run();
        assertEquals("1.0 fred, 1.1 vconn", origin.requests.get(0).head().headers().get("Via"));
        assertEquals("1.0 vconn", origin.requests.get(1).head().headers().get("Via"),
            "the protocol the proxy received the message with");
        assertEquals("1.1 origin-cache, 1.1 vconn", c.responses().get(0).header("Via"));
      }
    }

    @Test
    void hop_by_hop_request_headers_are_not_forwarded() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> ok("ok"));
        HttpRig.Client c = rig.client();
        c.send("GET /a HTTP/1.1\r\nHost: example.test\r\nConnection: keep-alive, X-Private\r\n"
            + "Keep-Alive: timeout=5\r\nTE: trailers\r\nUpgrade: h2c\r\nProxy-Connection: keep-alive\r\n"
            + "X-Private: secret\r\nX-End-To-End: kept\r\n\r\n");
        rig.run();
        assertEquals(200, c.response().status());
        HttpHeaders seen = origin.requests.get(0).head().headers();
        for (String name : List.of("Connection", "Keep-Alive", "TE", "Upgrade", "Proxy-Connection", "X-Private")) {
          assertFalse(seen.contains(name), name + " reached the origin: " + seen);
        }
        assertEquals("kept", seen.get("X-End-To-End"));
      }
    }

    @Test
    void hop_by_hop_response_headers_are_not_forwarded() {
      try (HttpRig rig = rig()) {
        rig.origin(ORIGIN, req -> "HTTP/1.1 200 OK\r\nConnection: X-Origin-Private\r\nKeep-Alive: timeout=9\r\n"
            + "Upgrade: foo\r\nProxy-Connection: keep-alive\r\nX-Origin-Private: secret\r\nTE: trailers\r\n"
            + "X-Public: kept\r\nContent-Length: 2\r\n\r\nok");
        HttpRig.Client c = rig.client();
        c.send(get("/a"));
        rig.run();
        Response r = c.response();
        for (String name : List.of("Connection", "Keep-Alive", "TE", "Upgrade", "Proxy-Connection",
            "X-Origin-Private")) {
          assertFalse(r.has(name), name + " reached the client: " + c.received());
        }
        assertEquals("kept", r.header("X-Public"));
        assertEquals("ok", r.body());
      }
    }
  }

  @Nested
  class Remap {
    @Test
    void host_must_match_and_a_port_in_host_is_ignored() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> ok("mapped"));
        HttpRig.Client c = rig.client();
        c.send("GET /a HTTP/1.1\r\nHost: EXAMPLE.test:80\r\n\r\n");
        rig.run();
        assertEquals("mapped", c.response().body());
        HttpRig.Client other = rig.client();
        other.send("GET /a HTTP/1.1\r\nHost: other.test\r\n\r\n");
        rig.run();
        assertEquals(404, other.response().status());
        assertEquals(1, origin.requests.size());
      }
    }

    @Test
    void the_host_is_matched_without_port_brackets_kept_ignoring_case_in_either_form() {
      try (HttpRig rig = new HttpRig(b -> b
          .remap(new RemapRule("[::1]", "/", "10.0.0.1", 8080, "/six/"))
          .remap(RemapRule.parse("http://example.test/api/", "http://" + ORIGIN + "/v1/"))
          .remap(RemapRule.parse("http://example.test/", "http://" + ORIGIN + "/")))) {
        TestOrigin origin = rig.origin(ORIGIN, req -> ok("mapped"));
        String[][] cases = {
            {"GET /a?q=1 HTTP/1.1\r\nHost: EXAMPLE.test:8080\r\n\r\n", "/a?q=1"},
            {"GET /api/x HTTP/1.1\r\nHost: example.TEST\r\n\r\n", "/v1/x"},
            {"GET http://Example.Test:81/api//y HTTP/1.1\r\nHost: other.test\r\n\r\n", "/v1/y"},
            {"GET http://EXAMPLE.test HTTP/1.1\r\nHost: other.test\r\n\r\n", "/"},
            {"GET /z HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", "/six/z"},
        };
        for (String[] c : cases) {
          HttpRig.Client client = rig.client();
          client.send(c[0]);
          rig.run();
          assertEquals("mapped", client.response().body(), c[0]);
          assertEquals(c[1], origin.requests.get(origin.requests.size() - 1).head().target(), c[0]);
        }
        for (String refused : List.of("GET /a HTTP/1.1\r\nHost: example.test.evil:80\r\n\r\n",
            "GET /a HTTP/1.1\r\nHost: [::1:80\r\n\r\n", "GET http://example.tes/a HTTP/1.1\r\nHost: x\r\n\r\n")) {
          HttpRig.Client client = rig.client();
          client.send(refused);
          rig.run();
          assertEquals(404, client.response().status(), refused);
        }
        assertEquals(cases.length, origin.requests.size());
      }
    }

    @Test
    void star_host_matches_any_host() {
      try (HttpRig rig = new HttpRig(b -> b.remap(RemapRule.parse("http://*/", "http://" + ORIGIN + "/")))) {
        TestOrigin origin = rig.origin(ORIGIN, req -> ok("any"));
        HttpRig.Client c = rig.client();
        c.send("GET /a HTTP/1.1\r\nHost: one.test\r\n\r\nGET /b HTTP/1.1\r\nHost: two.test\r\n\r\n");
        rig.run();
        assertEquals(2, c.responses().size());
        assertEquals(2, origin.requests.size());
      }
    }

    @Test
    void path_prefix_is_replaced_and_the_query_kept() {
      try (HttpRig rig = new HttpRig(
          b -> b.remap(RemapRule.parse("http://example.test/api/", "http://10.0.0.2:9000/v2/")))) {
        TestOrigin origin = rig.origin("10.0.0.2:9000", req -> ok("v2"));
        HttpRig.Client c = rig.client();
        c.send(get("/api/users/7?x=1&y=2"));
        rig.run();
        assertEquals("v2", c.response().body());
        assertEquals("/v2/users/7?x=1&y=2", origin.requests.get(0).head().target());
        HttpRig.Client miss = rig.client();
        miss.send(get("/apix"));
        rig.run();
        assertEquals(404, miss.response().status());
      }
    }

    @Test
    void the_first_matching_rule_wins_even_if_a_later_one_is_more_specific() {
      try (HttpRig rig = new HttpRig(b -> b
          .remap(RemapRule.parse("http://example.test/", "http://10.0.0.1:8080/"))
          .remap(RemapRule.parse("http://example.test/api/", "http://10.0.0.2:9000/")))) {
        TestOrigin first = rig.origin("10.0.0.1:8080", req -> ok("first"));
        TestOrigin second = rig.origin("10.0.0.2:9000", req -> ok("second"));
        HttpRig.Client c = rig.client();
        c.send(get("/api/x"));
        rig.run();
        assertEquals("first", c.response().body());
        assertEquals("/api/x", first.requests.get(0).head().target());
        assertEquals(0, second.connections());
      }
    }

    @Test
    void absolute_form_target_uses_the_url_host_and_is_forwarded_in_origin_form() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> ok("abs"));
        HttpRig.Client c = rig.client();
        c.send("GET http://example.test/p/q?r=1 HTTP/1.1\r\nHost: unrelated.test\r\n\r\n");
        rig.run();
        assertEquals("abs", c.response().body());
        HttpRequestHead seen = origin.requests.get(0).head();
        assertEquals("/p/q?r=1", seen.target());
        assertEquals(ORIGIN, seen.headers().get("Host"));
      }
    }

    @Test
    void host_header_is_rewritten_to_the_origin_without_the_default_port() {
      try (HttpRig rig = new HttpRig(b -> b
          .remap(RemapRule.parse("http://a.test/", "http://origin.test/"))
          .remap(RemapRule.parse("http://b.test/", "http://origin.test:8443/")))) {
        TestOrigin plain = rig.origin("origin.test:80", req -> ok("80"));
        TestOrigin other = rig.origin("origin.test:8443", req -> ok("8443"));
        HttpRig.Client c = rig.client();
        c.send("GET / HTTP/1.1\r\nHost: a.test\r\n\r\nGET / HTTP/1.1\r\nHost: b.test\r\n\r\n");
        rig.run();
        assertEquals(2, c.responses().size());
        assertEquals("origin.test", plain.requests.get(0).head().headers().get("Host"));
        assertEquals("origin.test:8443", other.requests.get(0).head().headers().get("Host"));
        assertEquals("origin.test:80", rig.log.get(0).origin());
      }
    }
  }
}
