package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Interim (1xx) responses from an origin are dropped, and capped in number and bytes per request. */
class HttpInterimResponseTest {
  static final String ORIGIN = "10.0.0.1:8080";
  static final String GET = "GET / HTTP/1.1\r\nHost: example.test\r\n\r\n";
  static final String CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n";
  static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

  static HttpRig rig(Consumer<HttpProxyConfig.Builder> more) {
    return new HttpRig(b -> {
      b.remap(RemapRule.parse("http://example.test/", "http://" + ORIGIN + "/"));
      more.accept(b);
    });
  }

  @Test
  void a_hundred_thousand_100_continue_responses_are_a_502_after_the_cap_and_are_not_all_read() {
    try (HttpRig rig = rig(b -> {})) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      String flood = CONTINUE.repeat(100_000); // 2.5 MB
      origin.conn(0).send(flood + OK);
      rig.run();
      assertEquals(HttpBadInputTest.BAD_GATEWAY, c.received());
      assertTrue(origin.conn(0).write.ndone() < 200_000,
          "the proxy stopped reading at the cap, took " + origin.conn(0).write.ndone() + " of " + flood.length());
      assertTrue(origin.conn(0).eos, "the origin connection was closed");
      assertEquals(List.of(502), rig.log.stream().map(AccessLogRecord::status).toList());
      assertEquals(0, rig.proxy.originPool().openCount(ORIGIN));
    }
  }

  @Test
  void exactly_the_cap_of_interim_responses_passes_and_one_more_is_502() {
    try (HttpRig rig = rig(b -> b.limits(new HttpLimits(8192, 65536, 100, 3)))) {
      rig.origin(ORIGIN, req -> CONTINUE.repeat(req.head().target().equals("/three") ? 3 : 4) + OK);
      HttpRig.Client c = rig.client();
      c.send("GET /three HTTP/1.1\r\nHost: example.test\r\n\r\n");
      rig.run();
      assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nVia: 1.1 vconn\r\n\r\nok", c.received(),
          "interim responses are dropped");
      HttpRig.Client d = rig.client();
      d.send("GET /four HTTP/1.1\r\nHost: example.test\r\n\r\n");
      rig.run();
      assertEquals(HttpBadInputTest.BAD_GATEWAY, d.received());
    }
  }

  @Test
  void interim_heads_larger_than_the_header_limit_together_are_502() {
    String processing = "HTTP/1.1 102 Processing\r\nX-Pad: " + "p".repeat(63) + "\r\n\r\n"; // 99 bytes
    assertEquals(99, processing.length());
    try (HttpRig rig = rig(b -> b.limits(new HttpLimits(1024, 300, 100)))) {
      rig.origin(ORIGIN, req -> processing.repeat(req.head().target().equals("/three") ? 3 : 4) + OK);
      HttpRig.Client c = rig.client();
      c.send("GET /three HTTP/1.1\r\nHost: example.test\r\n\r\n");
      rig.run();
      assertEquals(200, c.response().status(), "297 bytes of interim heads fit in 300");
      HttpRig.Client d = rig.client();
      d.send("GET /four HTTP/1.1\r\nHost: example.test\r\n\r\n");
      rig.run();
      assertEquals(HttpBadInputTest.BAD_GATEWAY, d.received(), "396 bytes do not");
    }
  }

  @Test
  void the_interim_cap_must_be_positive() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new HttpLimits(1, 1, 1, 0));
    assertEquals("maxInterimResponses must be > 0, was 0", e.getMessage());
    assertEquals(HttpLimits.DEFAULT_MAX_INTERIM_RESPONSES, new HttpLimits(1, 1, 1).maxInterimResponses());
    assertEquals(10, HttpLimits.defaults().maxInterimResponses());
  }
}
