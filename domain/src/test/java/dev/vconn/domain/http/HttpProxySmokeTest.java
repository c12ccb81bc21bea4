package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HttpProxySmokeTest {
  static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

  @Test
  void get_through_remap_to_origin() {
    try (HttpRig rig = new HttpRig(b -> b.remap(RemapRule.parse("http://example.test/", "http://10.0.0.1:8080/")))) {
      TestOrigin origin = rig.origin("10.0.0.1:8080", req -> OK);
      HttpRig.Client c = rig.client("fetcher", 7, HttpRig.CLIENT);
      c.send("GET /a HTTP/1.1\r\nHost: example.test\r\n\r\n");
      rig.run();
      assertTrue(c.received().startsWith("HTTP/1.1 200 OK\r\n"), c.received());
      assertTrue(c.received().endsWith("\r\n\r\nhello"), c.received());
      assertEquals(1, origin.requests.size());
      assertEquals("/a", origin.requests.get(0).head().target());
      assertEquals(1, rig.log.size());
      String line = rig.log.get(0).toLogLine();
      assertTrue(line.contains("pitag=fetcher piid=7 cqint=1"), line);
      assertTrue(line.contains("status=200"), line);

      assertEquals(1, rig.proxy.idleOriginConnections(), "origin connection pooled");
      c.send("GET /b HTTP/1.1\r\nHost: example.test\r\n\r\n");
      rig.run();
      assertEquals(2, rig.log.size(), c.received());
      assertEquals(2, origin.requests.size());
      assertEquals(1, origin.connections(), "origin connection reused");
      assertEquals(2, rig.log.size());
    }
  }

  @Test
  void no_remap_gives_404_and_keeps_the_connection() {
    try (HttpRig rig = new HttpRig()) {
      HttpRig.Client c = rig.client();
      c.send("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n");
      rig.run();
      assertTrue(c.received().startsWith("HTTP/1.1 404 Not Found\r\n"), c.received());
      assertFalse(c.eos, "the request was fully read: the connection stays open after the 404");
    }
  }
}
