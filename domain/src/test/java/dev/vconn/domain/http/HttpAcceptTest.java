package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@link HttpProxy#accept}: a connection a front stage has started reading is served from its first octet. */
class HttpAcceptTest {
  static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

  @Test
  void a_head_split_between_the_already_read_octets_and_the_connection_is_parsed_whole() {
    try (HttpRig rig = new HttpRig(b -> b.remap(RemapRule.parse("http://example.test/", "http://10.0.0.1:80/")))) {
      TestOrigin origin = rig.origin("10.0.0.1:80", req -> OK);
      HttpRig.Client c = rig.clientWithAlreadyRead("GET /a HTTP/1.1\r\nHo");
      rig.run();
      assertEquals(0, origin.requests.size(), "half a head is not a request");
      c.send("st: example.test\r\n\r\n");
      rig.run();
      assertEquals(1, origin.requests.size());
      assertEquals("/a", origin.requests.get(0).head().target());
      assertTrue(c.received().startsWith("HTTP/1.1 200 OK\r\n") && c.received().endsWith("ok"), c.received());
    }
  }

  @Test
  void whole_pipelined_requests_in_the_already_read_octets_are_served_without_more_input() {
    try (HttpRig rig = new HttpRig(b -> b.remap(RemapRule.parse("http://example.test/", "http://10.0.0.1:80/")))) {
      TestOrigin origin = rig.origin("10.0.0.1:80", req -> OK);
      HttpRig.Client c = rig.clientWithAlreadyRead("GET /1 HTTP/1.1\r\nHost: example.test\r\n\r\n"
          + "GET /2 HTTP/1.1\r\nHost: example.test\r\n\r\n");
      rig.run();
      assertEquals(2, origin.requests.size(), c.received());
      assertEquals("/2", origin.requests.get(1).head().target());
      assertEquals(2, c.responses("GET", "GET").size(), c.received());
    }
  }

  @Test
  void a_denied_client_frees_the_already_read_octets() {
    try (HttpRig rig = new HttpRig(b -> b.accessControl(client -> Optional.of("no")))) {
      HttpRig.Client c = rig.clientWithAlreadyRead("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      rig.run();
      assertTrue(c.eos, "denied connection closed");
      assertEquals("", c.received());
    } // the rig checks every block went back to the pool
  }

  @Test
  void a_draining_proxy_refuses_and_frees_the_already_read_octets() {
    try (HttpRig rig = new HttpRig()) {
      rig.proxy.drain();
      HttpRig.Client c = rig.clientWithAlreadyRead("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      rig.run();
      assertTrue(c.eos, "refused while draining");
      assertEquals(0, rig.proxy.openSessions());
    }
  }
}
