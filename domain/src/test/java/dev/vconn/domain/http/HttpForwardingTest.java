package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.pair.VConnPair;
import dev.vconn.domain.http.ForwardingPolicy.Mode;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The forwarding fields and {@code Host} as an origin receives them (docs/http.md, "Forwarding"): every scenario
 * sends the exact client bytes, spoofed fields included, and compares the exact bytes the origin got.
 */
class HttpForwardingTest {
  static final String ORIGIN = "10.0.0.1:8080";

  static HttpRig rig(ForwardingPolicy policy) {
    return new HttpRig(b -> b.remap(RemapRule.parse("http://*/", "http://" + ORIGIN + "/")).forwarding(policy));
  }

  static ForwardingPolicy policy(Mode xff, Mode proto, Mode host, Mode forwarded, boolean preserveHost) {
    return new ForwardingPolicy(xff, proto, host, forwarded, preserveHost);
  }

  /** Sends {@code request} from {@code client}, answers it, and returns exactly what the origin received. */
  static String forward(HttpRig rig, SocketAddress client, String request) {
    ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
    HttpRig.Client c = rig.client("plugin", 0, client);
    c.send(request);
    rig.run();
    String received = origin.conn(0).received();
    origin.conn(0).send("HTTP/1.1 204 No Content\r\n\r\n");
    rig.run();
    assertEquals(204, c.response().status(), c.received());
    return received;
  }

  static String forward(HttpRig rig, String request) {
    return forward(rig, HttpRig.CLIENT, request);
  }

  @Test
  void the_default_appends_to_a_spoofed_x_forwarded_for_sets_the_proto_and_passes_the_others() {
    assertEquals(ForwardingPolicy.defaults(), HttpProxyConfig.builder(new dev.vconn.domain.buffer.BlockPool())
        .build().forwarding(), "a builder starts with the default policy");
    try (HttpRig rig = rig(ForwardingPolicy.defaults())) {
      String got = forward(rig, "GET /a HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 6.6.6.6\r\n"
          + "X-Forwarded-Proto: https\r\nX-Forwarded-Host: spoof\r\nForwarded: for=6.6.6.6\r\nAccept: */*\r\n\r\n");
      assertEquals("GET /a HTTP/1.1\r\nHost: " + ORIGIN + "\r\nX-Forwarded-Host: spoof\r\nForwarded: for=6.6.6.6\r\n"
          + "Accept: */*\r\nVia: 1.1 vconn\r\nX-Forwarded-For: 6.6.6.6, 127.0.0.1\r\nX-Forwarded-Proto: http\r\n\r\n",
          got);
    }
  }

  @Test
  void replace_drops_a_spoofed_x_forwarded_for_and_every_other_forwarding_field_of_the_client() {
    try (HttpRig rig = rig(policy(Mode.REPLACE, Mode.REPLACE, Mode.REPLACE, Mode.REPLACE, false))) {
      String got = forward(rig, "GET /a HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 6.6.6.6\r\nx-forwarded-for: 7.7.7.7\r\n"
          + "X-Forwarded-Proto: https\r\nX-Forwarded-Host: spoof\r\nForwarded: for=6.6.6.6;proto=https\r\n\r\n");
      assertEquals("GET /a HTTP/1.1\r\nHost: " + ORIGIN + "\r\nVia: 1.1 vconn\r\nX-Forwarded-For: 127.0.0.1\r\n"
          + "X-Forwarded-Proto: http\r\nX-Forwarded-Host: t\r\nForwarded: for=127.0.0.1;proto=http;host=t\r\n\r\n", got);
    }
  }

  @Test
  void several_x_forwarded_for_lines_combine_in_order_before_the_proxys_own_address() {
    try (HttpRig rig = rig(ForwardingPolicy.defaults())) {
      String got = forward(rig, "GET /a HTTP/1.1\r\nX-Forwarded-For: 1.1.1.1\r\nHost: t\r\n"
          + "X-Forwarded-For: 2.2.2.2,3.3.3.3\r\nX-Forwarded-For:\r\n\r\n");
      assertEquals("GET /a HTTP/1.1\r\nHost: " + ORIGIN + "\r\nVia: 1.1 vconn\r\n"
          + "X-Forwarded-For: 1.1.1.1, 2.2.2.2,3.3.3.3, 127.0.0.1\r\nX-Forwarded-Proto: http\r\n\r\n", got);
    }
  }

  @Test
  void off_passes_every_forwarding_field_as_the_client_sent_it_and_adds_none() {
    try (HttpRig rig = rig(ForwardingPolicy.none())) {
      String got = forward(rig, "GET /a HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 6.6.6.6\r\nForwarded: for=x\r\n\r\n");
      assertEquals("GET /a HTTP/1.1\r\nHost: " + ORIGIN + "\r\nX-Forwarded-For: 6.6.6.6\r\nForwarded: for=x\r\n"
          + "Via: 1.1 vconn\r\n\r\n", got);
    }
  }

  @Test
  void a_client_naming_the_forwarding_fields_in_connection_removes_its_own_lines_never_the_proxys() {
    for (Mode mode : List.of(Mode.APPEND, Mode.REPLACE)) {
      try (HttpRig rig = rig(policy(mode, mode, Mode.OFF, mode, false))) {
        String got = forward(rig, "GET /a HTTP/1.1\r\nHost: t\r\n"
            + "Connection: X-Forwarded-For, x-forwarded-proto, Forwarded\r\nX-Forwarded-For: 6.6.6.6\r\n"
            + "X-Forwarded-Proto: https\r\nForwarded: for=6.6.6.6\r\n\r\n");
        assertEquals("GET /a HTTP/1.1\r\nHost: " + ORIGIN + "\r\nVia: 1.1 vconn\r\nX-Forwarded-For: 127.0.0.1\r\n"
            + "X-Forwarded-Proto: http\r\nForwarded: for=127.0.0.1;proto=http;host=t\r\n\r\n", got, mode.name());
      }
    }
  }

  @Test
  void connection_naming_framing_and_host_changes_no_framing_when_forwarding_and_keeping_host() {
    try (HttpRig rig = rig(policy(Mode.APPEND, Mode.REPLACE, Mode.APPEND, Mode.APPEND, true))) {
      String got = forward(rig, "POST /a HTTP/1.1\r\nHost: real.test\r\nContent-Length: 59\r\n"
          + "Connection: Content-Length, Host, Transfer-Encoding, X-Forwarded-Host\r\nX-Forwarded-Host: spoof\r\n\r\n"
          + HttpNormalisationTest.SMUGGLED);
      List<HttpNormalisationTest.Parsed> requests = HttpNormalisationTest.parseRequests(got);
      assertEquals(1, requests.size(), got);
      HttpHeaders h = requests.get(0).head().headers();
      assertEquals("59", h.get(HttpHeaders.CONTENT_LENGTH));
      assertEquals("real.test", h.get(HttpHeaders.HOST), "the client's Host is kept");
      assertEquals("real.test", h.get("X-Forwarded-Host"), "the spoofed line named in Connection is gone");
      assertEquals(HttpNormalisationTest.SMUGGLED, requests.get(0).body());
    }
  }

  @Test
  void forwarded_append_keeps_quoted_strings_with_commas_and_obfuscated_nodes_as_they_are() {
    try (HttpRig rig = rig(policy(Mode.OFF, Mode.OFF, Mode.OFF, Mode.APPEND, false))) {
      String got = forward(rig, "GET /a HTTP/1.1\r\nHost: t:8080\r\n"
          + "Forwarded: for=\"_hidden, by=\\\"x\";proto=https, for=unknown\r\nForwarded: for=_obf;by=\"[2001:db8::1]\"\r\n"
          + "\r\n");
      assertEquals("GET /a HTTP/1.1\r\nHost: " + ORIGIN + "\r\nVia: 1.1 vconn\r\n"
          + "Forwarded: for=\"_hidden, by=\\\"x\";proto=https, for=unknown, for=_obf;by=\"[2001:db8::1]\", "
          + "for=127.0.0.1;proto=http;host=\"t:8080\"\r\n\r\n", got);
    }
  }

  @Test
  void a_forwarded_list_that_does_not_parse_cannot_swallow_the_proxys_element() {
    try (HttpRig rig = rig(policy(Mode.OFF, Mode.OFF, Mode.OFF, Mode.APPEND, false))) {
      // Appended as is, the unterminated quoted string would make the proxy's element part of the client's value.
      String got = forward(rig, "GET /a HTTP/1.1\r\nHost: t\r\nForwarded: for=1.2.3.4\r\nForwarded: for=\"x\r\n\r\n");
      assertEquals("GET /a HTTP/1.1\r\nHost: " + ORIGIN + "\r\nVia: 1.1 vconn\r\n"
          + "Forwarded: for=127.0.0.1;proto=http;host=t\r\n\r\n", got);
    }
  }

  @Test
  void an_ipv6_client_is_written_compressed_and_quoted_in_brackets_in_forwarded() {
    try (HttpRig rig = rig(policy(Mode.APPEND, Mode.OFF, Mode.OFF, Mode.REPLACE, false))) {
      String got = forward(rig, new InetSocketAddress("2001:db8:0:0:0:0:0:1", 5000),
          "GET /a HTTP/1.1\r\nHost: t\r\n\r\n");
      assertEquals("GET /a HTTP/1.1\r\nHost: " + ORIGIN + "\r\nVia: 1.1 vconn\r\nX-Forwarded-For: 2001:db8::1\r\n"
          + "Forwarded: for=\"[2001:db8::1]\";proto=http;host=t\r\n\r\n", got);
    }
  }

  @Test
  void preserve_host_sends_the_clients_host_and_an_absolute_target_names_it() {
    ForwardingPolicy keep = policy(Mode.OFF, Mode.OFF, Mode.APPEND, Mode.OFF, true);
    try (HttpRig rig = rig(keep)) {
      assertEquals("GET /a HTTP/1.1\r\nHost: Client.Test:81\r\nVia: 1.1 vconn\r\nX-Forwarded-Host: Client.Test:81\r\n"
          + "\r\n", forward(rig, "GET /a HTTP/1.1\r\nHost: Client.Test:81\r\n\r\n"));
    }
    try (HttpRig rig = rig(keep)) {
      assertEquals("GET /b?q HTTP/1.1\r\nHost: abs.test\r\nVia: 1.1 vconn\r\nX-Forwarded-Host: abs.test\r\n\r\n",
          forward(rig, "GET http://abs.test/b?q HTTP/1.1\r\nHost: other.test\r\n\r\n"),
          "RFC 9112 §3.2.2: the target's authority wins over Host");
    }
    try (HttpRig rig = rig(keep)) {
      assertEquals("GET /a HTTP/1.1\r\nVia: 1.0 vconn\r\nHost: " + ORIGIN + "\r\n\r\n",
          forward(rig, "GET /a HTTP/1.0\r\n\r\n"), "no host named: the origin's");
    }
    try (HttpRig rig = rig(policy(Mode.OFF, Mode.OFF, Mode.OFF, Mode.OFF, false))) {
      assertEquals("GET /a HTTP/1.1\r\nHost: " + ORIGIN + "\r\nVia: 1.1 vconn\r\n\r\n",
          forward(rig, "GET /a HTTP/1.1\r\nHost: client.test\r\n\r\n"), "by default Host is rewritten");
    }
  }

  @Test
  void a_host_with_quotes_is_escaped_in_forwarded_and_cr_or_lf_never_reaches_the_origin() {
    try (HttpRig rig = rig(policy(Mode.OFF, Mode.OFF, Mode.REPLACE, Mode.REPLACE, false))) {
      String got = forward(rig, "GET /a HTTP/1.1\r\nHost: a\"b\\c\r\n\r\n");
      assertEquals("GET /a HTTP/1.1\r\nHost: " + ORIGIN + "\r\nVia: 1.1 vconn\r\nX-Forwarded-Host: a\"b\\c\r\n"
          + "Forwarded: for=127.0.0.1;proto=http;host=\"a\\\"b\\\\c\"\r\n\r\n", got);
      assertTrue(ProxyHeaderRules.isForwardedList("for=127.0.0.1;proto=http;host=\"a\\\"b\\\\c\""));
    }
    for (String attack : List.of("Host: t\rX-Evil: 1\r\n", "Host: t\r\n X-Evil: 1\r\n", "Host: t\r\nX-Forwarded-Host: a\u0000b\r\n",
        "Host: t\r\nX-Forwarded-For: 1.1.1.1\rX-Evil: 1\r\n")) {
      try (HttpRig rig = rig(policy(Mode.APPEND, Mode.APPEND, Mode.APPEND, Mode.APPEND, true))) {
        ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
        HttpRig.Client c = rig.client();
        c.send("GET /a HTTP/1.1\r\n" + attack + "\r\n");
        rig.run();
        assertEquals(400, c.response().status(), attack);
        assertTrue(origin.conns.isEmpty(), "nothing reached an origin: " + attack);
      }
    }
    HttpHeaders h = new HttpHeaders();
    assertThrows(IllegalArgumentException.class, () -> h.set(HttpHeaders.HOST, "t\r\nX-Evil: 1"),
        "a hook cannot put a line break into Host either");
  }

  @Test
  void forwarded_lists_are_checked_by_the_rfc_7239_grammar() {
    for (String ok : List.of("for=1.2.3.4", "for=\"[2001:db8::1]:80\";proto=https", " for=a , ,for=b;by=c ",
        "for=_x;;proto=http", "")) {
      assertTrue(ProxyHeaderRules.isForwardedList(ok), ok);
    }
    for (String bad : List.of("for=\"x", "for", "for=", "=x", "for=a b", "for=\"a\"x", "for=a;=b", "for=\"a\\")) {
      assertFalse(ProxyHeaderRules.isForwardedList(bad), bad);
    }
  }

  @Test
  void the_proto_is_https_for_a_tls_client_and_an_unknown_address_is_unknown() {
    HttpHeaders out = new HttpHeaders().add("X-Forwarded-For", "1.1.1.1");
    ProxyHeaderRules.addForwarding(out, policy(Mode.APPEND, Mode.REPLACE, Mode.OFF, Mode.APPEND, false),
        new ProxyHeaderRules.ClientHop(new SocketAddress() { }, true, null));
    assertEquals(new HttpHeaders().add("X-Forwarded-For", "1.1.1.1, unknown").add("X-Forwarded-Proto", "https")
        .add("Forwarded", "for=unknown;proto=https"), out);
    assertEquals("::1", ProxyHeaderRules.nodeAddress(new InetSocketAddress("::1", 1)));
    assertEquals("1::", ProxyHeaderRules.nodeAddress(new InetSocketAddress("1:0:0:0:0:0:0:0", 1)));
    assertEquals("1:0:1::1", ProxyHeaderRules.nodeAddress(new InetSocketAddress("1:0:1:0:0:0:0:1", 1)),
        "the longest run of zeros is shortened, a single zero group is not");
    assertEquals("1:0:0:1::1", ProxyHeaderRules.nodeAddress(new InetSocketAddress("1:0:0:1:0:0:0:1", 1)),
        "the longer of two runs is shortened");
    assertEquals("1::1:0:0:1:1", ProxyHeaderRules.nodeAddress(new InetSocketAddress("1:0:0:1:0:0:1:1", 1)),
        "of two runs as long, the first is shortened");
  }

  @Test
  void forwarding_modes_parse_from_configuration_values() {
    assertEquals(Mode.APPEND, Mode.parse(" Append"));
    assertEquals(Mode.REPLACE, Mode.parse("replace"));
    assertEquals(Mode.OFF, Mode.parse("OFF"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Mode.parse("set"));
    assertTrue(e.getMessage().contains("append, replace or off"), e.getMessage());
  }

  @Test
  void hop_by_hop_fields_in_any_case_never_reach_the_origin_and_obs_text_passes_byte_for_byte() {
    try (HttpRig rig = rig(policy(Mode.OFF, Mode.OFF, Mode.OFF, Mode.OFF, true))) {
      String got = forward(rig, "GET /a HTTP/1.1\r\nHost: t\r\npRoXy-AuThOrIzAtIoN: Basic c2VjcmV0\r\n"
          + "KEEP-ALIVE: 5\r\ntE: trailers\r\nPROXY-CONNECTION: keep-alive\r\nConnection: X-Private\r\n"
          + "x-PRIVATE: 1\r\nupgrade: h2c\r\nTRAILER: X-T\r\nX-Latin: caf\u00e9 \u00ff\r\nAccept: */*\r\n\r\n");
      assertEquals("GET /a HTTP/1.1\r\nHost: t\r\nX-Latin: caf\u00e9 \u00ff\r\nAccept: */*\r\nVia: 1.1 vconn\r\n\r\n",
          got);
    }
  }

  @Test
  void hop_by_hop_fields_of_the_origin_in_any_case_never_reach_the_client_and_obs_text_passes_byte_for_byte() {
    try (HttpRig rig = rig(ForwardingPolicy.defaults())) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client("plugin", 0, HttpRig.CLIENT);
      c.send("GET /a HTTP/1.1\r\nHost: t\r\n\r\n");
      rig.run();
      origin.conn(0).send("HTTP/1.1 200 \r\nKeep-Alive: timeout=5\r\nproxy-AUTHENTICATE: Basic\r\n"
          + "Connection: X-Drop\r\nx-drop: 1\r\nX-Latin: \u00e9t\u00e9\r\nContent-Length: 2\r\n\r\nok");
      rig.run();
      assertEquals("HTTP/1.1 200 \r\nX-Latin: \u00e9t\u00e9\r\nContent-Length: 2\r\nVia: 1.1 vconn\r\n\r\nok",
          c.received());
    }
  }

  @Test
  void every_request_on_a_connection_carries_that_connections_address_and_other_connections_carry_theirs() {
    try (HttpRig rig = rig(policy(Mode.APPEND, Mode.REPLACE, Mode.OFF, Mode.APPEND, false))) {
      TestOrigin origin = rig.origin(ORIGIN, req -> "HTTP/1.1 204 No Content\r\n\r\n");
      HttpRig.Client a = rig.client("plugin", 0, new InetSocketAddress("10.1.2.3", 40000));
      HttpRig.Client b = rig.client("plugin", 0, new InetSocketAddress("1:0:0:0:0:0:0:1", 40001));
      for (int i = 0; i < 2; i++) {
        a.send("GET /a HTTP/1.1\r\nHost: t\r\n\r\n");
        rig.run();
        b.send("GET /b HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n");
        rig.run();
      }
      assertEquals(2, a.responses("GET", "GET").size(), a.received());
      assertEquals(2, b.responses("GET", "GET").size(), b.received());
      assertEquals(List.of("10.1.2.3", "6.6.6.6, 1::1", "10.1.2.3", "6.6.6.6, 1::1"),
          origin.requests.stream().map(r -> String.join("|", r.head().headers().getAll("X-Forwarded-For"))).toList());
      assertEquals(List.of("for=10.1.2.3;proto=http;host=t", "for=\"[1::1]\";proto=http;host=t",
          "for=10.1.2.3;proto=http;host=t", "for=\"[1::1]\";proto=http;host=t"),
          origin.requests.stream().map(r -> String.join("|", r.head().headers().getAll("Forwarded"))).toList(),
          "the Forwarded element uses the same address text");
    }
  }

  @Test
  void a_session_writes_its_clients_address_once_for_all_its_requests() {
    try (HttpRig rig = rig(ForwardingPolicy.defaults())) {
      VConnPair pair = VConnPair.open(rig.loop,
          new VConnPair.Options("plugin", 0, 8, 0, new InetSocketAddress("10.1.2.3", 40000)));
      Http1ClientSession session = new Http1ClientSession(rig.proxy, pair.passive(), null, null);
      String first = session.clientNodeAddress();
      assertEquals("10.1.2.3", first);
      assertSame(first, session.clientNodeAddress(), "made once per connection, not per request");
      pair.active().close();
      pair.passive().close();
      rig.run();
    }
  }
}
