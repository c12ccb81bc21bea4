package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.buffer.BlockPool;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The PROXY protocol header towards origins (docs/http.md, "PROXY protocol towards origins"): the exact octets an
 * origin receives on each new connection, once per connection, and a connection that announced one client never
 * serving another.
 */
class HttpOriginProxyProtocolTest {
  static final String ORIGIN = "10.0.0.1:8080";
  static final String REQUEST = "GET /a HTTP/1.1\r\nHost: t\r\n\r\n";
  static final String FORWARDED = "GET /a HTTP/1.1\r\nHost: " + ORIGIN + "\r\nVia: 1.1 vconn\r\n\r\n";
  static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  static final byte[] SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

  static HttpRig rig(OriginProxyProtocol version) {
    return new HttpRig(b -> b.remap(RemapRule.parse("http://*/", "http://" + ORIGIN + "/"))
        .originProxyProtocol(version));
  }

  static InetSocketAddress at(String literal, int port) {
    return new InetSocketAddress(literal, port);
  }

  static String ascii(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  /** Sends one request from {@code client} and has the origin's connection {@code conn} answer it. */
  static void exchange(ManualOrigin origin, HttpRig rig, HttpRig.Client client, int conn, int responses) {
    client.send(REQUEST);
    rig.run();
    origin.conn(conn).send(OK);
    rig.run();
    assertEquals(responses, client.responses().size(), client.received());
  }

  // ------------------------------------------------------------------------------------------------ the octets

  @Test
  void version_1_names_tcp4_addresses_and_ports_in_one_line() {
    assertEquals("PROXY TCP4 10.1.2.3 192.0.2.1 40000 8080\r\n",
        ascii(OriginProxyProtocol.V1.header(at("10.1.2.3", 40000), at("192.0.2.1", 8080))));
  }

  @Test
  void version_1_names_tcp6_addresses_and_maps_an_ipv4_one_when_the_families_differ() {
    assertEquals("PROXY TCP6 2001:db8:0:0:0:0:0:1 2001:db8:0:0:0:0:0:2 40000 443\r\n",
        ascii(OriginProxyProtocol.V1.header(at("2001:db8::1", 40000), at("2001:db8::2", 443))));
    assertEquals("PROXY TCP6 ::ffff:10.1.2.3 2001:db8:0:0:0:0:0:2 1 65535\r\n",
        ascii(OriginProxyProtocol.V1.header(at("10.1.2.3", 1), at("2001:db8::2", 65535))));
  }

  @Test
  void version_1_says_unknown_for_a_client_without_an_ip_address() {
    assertEquals("PROXY UNKNOWN\r\n", ascii(OriginProxyProtocol.V1.header(null, at("192.0.2.1", 80))));
    assertEquals("PROXY UNKNOWN\r\n", ascii(OriginProxyProtocol.V1.header(
        UnixDomainSocketAddress.of("/run/client.sock"), null)));
    assertEquals("PROXY UNKNOWN\r\n", ascii(OriginProxyProtocol.V1.header(
        InetSocketAddress.createUnresolved("client.test", 1), null)));
  }

  @Test
  void a_missing_destination_is_the_unspecified_address_of_the_sources_family_with_port_0() {
    assertEquals("PROXY TCP4 10.1.2.3 0.0.0.0 40000 0\r\n",
        ascii(OriginProxyProtocol.V1.header(at("10.1.2.3", 40000), null)));
    assertEquals("PROXY TCP6 0:0:0:0:0:0:0:1 0:0:0:0:0:0:0:0 40000 0\r\n",
        ascii(OriginProxyProtocol.V1.header(at("::1", 40000), UnixDomainSocketAddress.of("/run/proxy.sock"))));
  }

  @Test
  void version_2_tcp4_every_octet() {
    byte[] h = OriginProxyProtocol.V2.header(at("10.1.2.3", 40000), at("192.0.2.1", 8080));
    byte[] expected = new byte[28];
    System.arraycopy(SIGNATURE, 0, expected, 0, 12);
    byte[] rest = {0x21, 0x11, 0x00, 0x0C, 10, 1, 2, 3, (byte) 192, 0, 2, 1, (byte) 0x9C, 0x40, 0x1F, (byte) 0x90};
    System.arraycopy(rest, 0, expected, 12, rest.length);
    assertArrayEquals(expected, h);
  }

  @Test
  void version_2_tcp6_every_octet() {
    byte[] h = OriginProxyProtocol.V2.header(at("2001:db8::1", 443), at("10.0.0.9", 80));
    byte[] expected = new byte[52];
    System.arraycopy(SIGNATURE, 0, expected, 0, 12);
    expected[12] = 0x21;
    expected[13] = 0x21; // TCP over IPv6
    expected[14] = 0x00;
    expected[15] = 0x24; // 36 octets of addresses and ports
    byte[] src = {0x20, 0x01, 0x0D, (byte) 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    byte[] dst = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, 10, 0, 0, 9};
    System.arraycopy(src, 0, expected, 16, 16);
    System.arraycopy(dst, 0, expected, 32, 16);
    expected[48] = 0x01;
    expected[49] = (byte) 0xBB;
    expected[50] = 0x00;
    expected[51] = 0x50;
    assertArrayEquals(expected, h);
  }

  @Test
  void version_2_without_an_ip_client_is_the_proxy_command_with_the_unspecified_family_and_no_addresses() {
    byte[] expected = new byte[16];
    System.arraycopy(SIGNATURE, 0, expected, 0, 12);
    expected[12] = 0x21;
    assertArrayEquals(expected, OriginProxyProtocol.V2.header(UnixDomainSocketAddress.of("/run/c.sock"), null));
    assertArrayEquals(new byte[0], OriginProxyProtocol.OFF.header(at("10.1.2.3", 1), null));
  }

  @Test
  void the_setting_parses_off_v1_and_v2_and_names_them_for_anything_else() {
    assertEquals(OriginProxyProtocol.OFF, OriginProxyProtocol.parse("off"));
    assertEquals(OriginProxyProtocol.V1, OriginProxyProtocol.parse(" V1"));
    assertEquals(OriginProxyProtocol.V2, OriginProxyProtocol.parse("v2"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OriginProxyProtocol.parse("any"));
    assertEquals("a PROXY protocol version towards origins is off, v1 or v2, was 'any'", e.getMessage());
  }

  // ------------------------------------------------------------------------------------------------ on the wire

  @Test
  void off_by_default_the_origin_receives_only_the_request() {
    assertEquals(OriginProxyProtocol.OFF, HttpProxyConfig.builder(new BlockPool()).build().originProxyProtocol());
    try (HttpRig rig = new HttpRig(b -> b.remap(RemapRule.parse("http://*/", "http://" + ORIGIN + "/")))) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      exchange(origin, rig, rig.client("plugin", 0, at("10.1.2.3", 40000)), 0, 1);
      assertEquals(FORWARDED, origin.conn(0).received());
    }
  }

  @Test
  void version_1_goes_first_on_a_new_connection_and_only_once_on_a_kept_alive_one() {
    try (HttpRig rig = rig(OriginProxyProtocol.V1)) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client("plugin", 0, at("10.1.2.3", 40000));
      exchange(origin, rig, c, 0, 1);
      // An in-process client connection has no local address: the unspecified one with port 0 stands for it.
      assertEquals("PROXY TCP4 10.1.2.3 0.0.0.0 40000 0\r\n" + FORWARDED, origin.conn(0).received());
      exchange(origin, rig, c, 0, 2);
      assertEquals(1, origin.conns.size(), "the second request reuses the connection");
      assertEquals("PROXY TCP4 10.1.2.3 0.0.0.0 40000 0\r\n" + FORWARDED + FORWARDED, origin.conn(0).received());
    }
  }

  @Test
  void version_1_tcp6_client() {
    try (HttpRig rig = rig(OriginProxyProtocol.V1)) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      exchange(origin, rig, rig.client("plugin", 0, at("2001:db8::7", 5555)), 0, 1);
      assertEquals("PROXY TCP6 2001:db8:0:0:0:0:0:7 0:0:0:0:0:0:0:0 5555 0\r\n" + FORWARDED,
          origin.conn(0).received());
    }
  }

  @Test
  void version_1_unknown_for_a_client_with_a_unix_address() {
    try (HttpRig rig = rig(OriginProxyProtocol.V1)) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      exchange(origin, rig, rig.client("plugin", 0, UnixDomainSocketAddress.of("/run/app.sock")), 0, 1);
      assertEquals("PROXY UNKNOWN\r\n" + FORWARDED, origin.conn(0).received());
    }
  }

  @Test
  void version_2_binary_header_then_the_request() {
    try (HttpRig rig = rig(OriginProxyProtocol.V2)) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client("plugin", 0, at("10.1.2.3", 40000));
      exchange(origin, rig, c, 0, 1);
      exchange(origin, rig, c, 0, 2);
      byte[] header = new byte[28];
      System.arraycopy(SIGNATURE, 0, header, 0, 12);
      byte[] rest = {0x21, 0x11, 0x00, 0x0C, 10, 1, 2, 3, 0, 0, 0, 0, (byte) 0x9C, 0x40, 0x00, 0x00};
      System.arraycopy(rest, 0, header, 12, rest.length);
      assertEquals(ascii(header) + FORWARDED + FORWARDED, origin.conn(0).received());
    }
  }

  @Test
  void a_second_client_never_gets_the_first_clients_connection_but_a_new_one_with_its_own_header() {
    try (HttpRig rig = rig(OriginProxyProtocol.V1)) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client a = rig.client("plugin", 0, at("10.1.2.3", 40000));
      exchange(origin, rig, a, 0, 1);
      HttpRig.Client b = rig.client("plugin", 0, at("10.9.9.9", 50000));
      exchange(origin, rig, b, 1, 1);
      assertEquals(2, origin.conns.size());
      assertEquals("PROXY TCP4 10.1.2.3 0.0.0.0 40000 0\r\n" + FORWARDED, origin.conn(0).received());
      assertEquals("PROXY TCP4 10.9.9.9 0.0.0.0 50000 0\r\n" + FORWARDED, origin.conn(1).received());
      exchange(origin, rig, a, 0, 2); // each client keeps its own
      exchange(origin, rig, b, 1, 2);
      assertEquals(2, origin.conns.size());
      assertEquals("PROXY TCP4 10.9.9.9 0.0.0.0 50000 0\r\n" + FORWARDED + FORWARDED, origin.conn(1).received());
    }
  }

  @Test
  void client_connections_announcing_the_same_client_share_a_connection_like_the_streams_of_one_http2_connection() {
    try (HttpRig rig = rig(OriginProxyProtocol.V1)) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      exchange(origin, rig, rig.client("plugin", 0, at("10.1.2.3", 40000)), 0, 1);
      exchange(origin, rig, rig.client("plugin", 0, at("10.1.2.3", 40000)), 0, 1);
      assertEquals(1, origin.conns.size(), "the same header: the origin cannot tell them apart anyway");
      assertEquals("PROXY TCP4 10.1.2.3 0.0.0.0 40000 0\r\n" + FORWARDED + FORWARDED, origin.conn(0).received());
      exchange(origin, rig, rig.client("plugin", 0, at("10.1.2.3", 40001)), 1, 1);
      assertEquals("PROXY TCP4 10.1.2.3 0.0.0.0 40001 0\r\n" + FORWARDED, origin.conn(1).received(),
          "another port is another client connection");
    }
  }

  @Test
  void without_the_header_the_second_client_reuses_the_first_clients_connection() {
    try (HttpRig rig = rig(OriginProxyProtocol.OFF)) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      exchange(origin, rig, rig.client("plugin", 0, at("10.1.2.3", 40000)), 0, 1);
      exchange(origin, rig, rig.client("plugin", 0, at("10.9.9.9", 50000)), 0, 1);
      assertEquals(1, origin.conns.size(), "shared, as before: the keying applies only while the header is on");
    }
  }

  @Test
  void a_request_retried_from_a_reused_connection_goes_to_the_new_one_behind_its_header() {
    try (HttpRig rig = rig(OriginProxyProtocol.V1)) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client("plugin", 0, at("10.1.2.3", 40000));
      exchange(origin, rig, c, 0, 1);
      c.send(REQUEST);
      rig.run();
      origin.conn(0).abort(); // the reused connection fails before answering: the request goes again
      rig.run();
      assertEquals(2, origin.conns.size());
      assertEquals("PROXY TCP4 10.1.2.3 0.0.0.0 40000 0\r\n" + FORWARDED, origin.conn(1).received());
      origin.conn(1).send(OK);
      rig.run();
      assertEquals(2, c.responses().size(), c.received());
    }
  }

  @Test
  void https_origins_are_refused_at_configuration_time() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HttpProxyConfig
        .builder(new BlockPool()).remap(RemapRule.parse("http://a/", "https://secure.test/"))
        .originProxyProtocol(OriginProxyProtocol.V1).build());
    assertTrue(e.getMessage().startsWith("the PROXY protocol towards origins (V1) cannot be sent to https origins"),
        e.getMessage());
    HttpProxyConfig.builder(new BlockPool()).remap(RemapRule.parse("http://a/", "https://secure.test/")).build();
  }

  @Test
  void a_builder_from_a_configuration_keeps_the_setting() {
    HttpProxyConfig on = HttpProxyConfig.builder(new BlockPool()).originProxyProtocol(OriginProxyProtocol.V2).build();
    assertEquals(OriginProxyProtocol.V2, on.toBuilder().build().originProxyProtocol());
  }
}
