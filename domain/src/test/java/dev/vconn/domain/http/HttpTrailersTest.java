package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Trailer fields of chunked bodies (docs/http.md, "Trailers"): passed to a client that sent {@code TE: trailers},
 * dropped for others, never with the fields that may not be trailers, readable by hooks, held to the head limits.
 */
class HttpTrailersTest {
  static final String ORIGIN = "10.0.0.1:8080";
  /** A chunked response whose trailer section holds two fields that may travel and four that may not. */
  static final String CHUNKED_WITH_TRAILERS = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      + "5\r\nhello\r\n0\r\nX-Checksum: abc\r\nContent-Length: 99\r\nServer-Timing: db;dur=5\r\n"
      + "Transfer-Encoding: gzip\r\nSet-Cookie: s=1\r\nContent-Type: text/evil\r\n\r\n";

  static HttpRig rig(Consumer<HttpProxyConfig.Builder> more) {
    return new HttpRig(b -> {
      b.remap(RemapRule.parse("http://example.test/", "http://" + ORIGIN + "/"));
      more.accept(b);
    });
  }

  static Continuation hook(Consumer<HttpTxn> body) {
    return HttpHooksTest.hook(body);
  }

  /** What the client got after the response head. */
  static String body(HttpRig.Client c) {
    String received = c.received();
    int end = received.indexOf("\r\n\r\n");
    assertTrue(end >= 0, received);
    return received.substring(end + 4);
  }

  @Test
  void a_client_that_sent_te_trailers_gets_the_allowed_trailer_fields_right_after_the_last_chunk() {
    try (HttpRig rig = rig(b -> {})) {
      TestOrigin origin = rig.origin(ORIGIN, req -> CHUNKED_WITH_TRAILERS);
      HttpRig.Client c = rig.client();
      c.send("GET /a HTTP/1.1\r\nHost: example.test\r\nTE: deflate;q=0.5, Trailers\r\n\r\n");
      rig.run();
      assertEquals("5\r\nhello\r\n0\r\nX-Checksum: abc\r\nServer-Timing: db;dur=5\r\n\r\n", body(c));
      assertEquals("hello", c.response().body());
      assertTrue(c.response().chunked());
      assertEquals(null, origin.requests.get(0).head().headers().get("TE"),
          "TE stays hop-by-hop: the proxy reads an origin's trailers whether it asks for them or not");
    }
  }

  @Test
  void a_client_without_te_trailers_gets_the_last_chunk_without_trailers() {
    try (HttpRig rig = rig(b -> {})) {
      rig.origin(ORIGIN, req -> CHUNKED_WITH_TRAILERS);
      HttpRig.Client c = rig.client();
      c.send("GET /a HTTP/1.1\r\nHost: example.test\r\nTE: gzip\r\n\r\n");
      rig.run();
      assertEquals("5\r\nhello\r\n0\r\n\r\n", body(c));
    }
  }

  @Test
  void an_http10_client_gets_the_body_until_close_and_no_trailers() {
    try (HttpRig rig = rig(b -> {})) {
      rig.origin(ORIGIN, req -> CHUNKED_WITH_TRAILERS);
      HttpRig.Client c = rig.client();
      c.send("GET /a HTTP/1.0\r\nHost: example.test\r\nTE: trailers\r\n\r\n");
      rig.run();
      assertTrue(c.received().endsWith("\r\n\r\nhello"), c.received());
      assertTrue(c.eos);
    }
  }

  @Test
  void a_transformed_body_ends_with_the_trailers_too() {
    try (HttpRig rig = HttpTransformTest.rig(() -> List.of(new HttpTransformTest.UpperCase()))) {
      rig.origin(ORIGIN, req -> CHUNKED_WITH_TRAILERS);
      HttpRig.Client c = rig.client();
      c.send("GET /a HTTP/1.1\r\nHost: example.test\r\nTE: trailers\r\n\r\n");
      rig.run();
      Response r = c.response();
      assertEquals("HELLO", r.body());
      assertTrue(c.received().endsWith("\r\n0\r\nX-Checksum: abc\r\nServer-Timing: db;dur=5\r\n\r\n"),
          c.received());
    }
  }

  @Test
  void a_txn_close_hook_reads_the_origin_trailers_as_received_and_none_before_the_body_ended() {
    List<String> seen = new ArrayList<>();
    HttpHooks hooks = HttpHooks.builder()
        .add(HttpHookId.SEND_RESPONSE_HDR, hook(txn -> seen.add("head: " + txn.serverResponseTrailers())))
        .add(HttpHookId.TXN_CLOSE, hook(txn -> seen.add("close: " + txn.serverResponseTrailers())))
        .build();
    try (HttpRig rig = rig(b -> b.hooks(hooks))) {
      rig.origin(ORIGIN, req -> CHUNKED_WITH_TRAILERS);
      HttpRig.Client c = rig.client();
      c.send("GET /a HTTP/1.1\r\nHost: example.test\r\n\r\n");
      rig.run();
      assertEquals(200, c.response().status());
      HttpHeaders expected = new HttpHeaders().add("X-Checksum", "abc").add("Content-Length", "99")
          .add("Server-Timing", "db;dur=5").add("Transfer-Encoding", "gzip").add("Set-Cookie", "s=1")
          .add("Content-Type", "text/evil");
      assertEquals(List.of("head: " + new HttpHeaders(), "close: " + expected), seen,
          "hooks see every field received, also without TE: trailers");
    }
  }

  @Test
  void request_trailers_reach_the_origin_without_the_fields_that_may_not_be_trailers() {
    List<HttpHeaders> seen = new ArrayList<>();
    HttpHooks hooks = HttpHooks.builder()
        .add(HttpHookId.TXN_CLOSE, hook(txn -> seen.add(txn.clientRequestTrailers()))).build();
    try (HttpRig rig = rig(b -> b.hooks(hooks))) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client();
      c.send("POST /up HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "5\r\nhello\r\n0\r\nX-Sum: 1\r\nHost: evil.test\r\nContent-Length: 5\r\nAuthorization: x\r\n"
          + "X-Late: 2\r\n\r\n");
      rig.run();
      String received = origin.conn(0).received();
      assertTrue(received.endsWith("\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 1\r\nX-Late: 2\r\n\r\n"), received);
      origin.conn(0).send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      rig.run();
      assertEquals("ok", c.response().body());
      assertEquals(List.of(new HttpHeaders().add("X-Sum", "1").add("Host", "evil.test").add("Content-Length", "5")
          .add("Authorization", "x").add("X-Late", "2")), seen);
    }
  }

  @Test
  void a_malformed_request_trailer_field_is_400_and_never_reaches_the_origin() {
    HttpBadInputTest.sendAndExpect("POST /up HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "5\r\nhello\r\n0\r\nX-Bad : 1\r\n\r\n", 400);
  }

  @Test
  void a_request_trailer_section_over_the_head_size_limit_is_431() {
    HttpBadInputTest.sendAndExpect(b -> b.limits(new HttpLimits(1024, 256, 20)),
        "POST /up HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5\r\nhello\r\n0\r\nX-Big: " + "a".repeat(250) + "\r\n\r\n", 431);
  }

  @Test
  void a_request_trailer_section_over_the_head_field_count_is_431() {
    HttpBadInputTest.sendAndExpect(b -> b.limits(new HttpLimits(1024, 4096, 5)),
        "POST /up HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5\r\nhello\r\n0\r\n" + "X-T: 1\r\n".repeat(6) + "\r\n", 431);
  }

  @Test
  void an_origin_trailer_section_over_the_head_limits_is_502() {
    for (String trailers : List.of("X-Big: " + "a".repeat(250) + "\r\n", "X-T: 1\r\n".repeat(6))) {
      try (HttpRig rig = rig(b -> b.limits(new HttpLimits(1024, 256, 5)))) {
        rig.origin(ORIGIN, req -> "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n"
            + trailers + "\r\n");
        HttpRig.Client c = rig.client();
        c.send("GET /a HTTP/1.1\r\nHost: example.test\r\nTE: trailers\r\n\r\n");
        rig.run();
        assertEquals(HttpBadInputTest.BAD_GATEWAY, c.received(), "the head had not left: it is replaced by the 502");
        HttpBadInputTest.assertErrorKeptAlive(rig, c, 502);
      }
    }
  }
}
