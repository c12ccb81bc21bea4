package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.http.ProxyProtocolParser.Done;
import dev.vconn.domain.http.ProxyProtocolParser.Invalid;
import dev.vconn.domain.http.ProxyProtocolParser.NeedMore;
import dev.vconn.domain.http.ProxyProtocolParser.NotAHeader;
import dev.vconn.domain.http.ProxyProtocolParser.Step;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The PROXY protocol header parser: valid and invalid headers of both versions, and reads that stop at the end. */
class ProxyProtocolParserTest {

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** A version 2 header: command, family/protocol, the address block and TLVs as given. */
  static byte[] v2(int verCmd, int famProto, byte[] payload) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(ProxyProtocolParser.V2_SIGNATURE);
    out.write(verCmd);
    out.write(famProto);
    out.write(payload.length >> 8);
    out.write(payload.length & 0xff);
    out.writeBytes(payload);
    return out.toByteArray();
  }

  /** INET addresses 192.0.2.1:56324 -> 198.51.100.2:443 followed by {@code tlvs}. */
  static byte[] inetPayload(byte[] tlvs) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 192, 0, 2, 1, (byte) 198, 51, 100, 2, (byte) 0xdc, 0x04, 0x01, (byte) 0xbb});
    out.writeBytes(tlvs);
    return out.toByteArray();
  }

  static byte[] inet6Payload() {
    byte[] p = new byte[36];
    p[0] = 0x20;
    p[1] = 0x01;
    p[2] = 0x0d;
    p[3] = (byte) 0xb8;
    p[15] = 1; // 2001:db8::1
    p[16] = 0x20;
    p[17] = 0x01;
    p[18] = 0x0d;
    p[19] = (byte) 0xb8;
    p[31] = 2; // 2001:db8::2
    p[32] = 0x30;
    p[33] = 0x39; // 12345
    p[34] = 0;
    p[35] = 80;
    return p;
  }

  /**
   * Feeds {@code header + after} the way the stage reads it: first {@link ProxyProtocolParser#firstRead}, then what
   * each NeedMore asks for, and checks that no read goes past the header's end.
   */
  static Step readExactly(byte[] header, ProxyProtocolMode mode) {
    int have = Math.min(ProxyProtocolParser.firstRead(mode), header.length);
    while (true) {
      Step step = ProxyProtocolParser.examine(header, have, mode);
      if (!(step instanceof NeedMore more)) {
        return step;
      }
      assertTrue(more.atLeast() >= 1, "asks for at least one octet");
      assertTrue(have + more.atLeast() <= header.length, "a read of " + more.atLeast() + " after " + have
          + " octets would pass the end of a " + header.length + "-octet header");
      have += more.atLeast();
    }
  }

  @Test
  void version_1_lines_of_every_protocol_parse_and_are_read_without_passing_their_end() {
    for (ProxyProtocolMode mode : List.of(ProxyProtocolMode.V1, ProxyProtocolMode.ANY, ProxyProtocolMode.OPTIONAL)) {
      Done d = (Done) readExactly(ascii("PROXY TCP4 192.168.1.1 10.0.0.1 56324 443\r\n"), mode);
      assertEquals(new ProxyProtocolHeader(1, false, new InetSocketAddress("192.168.1.1", 56324),
          new InetSocketAddress("10.0.0.1", 443)), d.header());
      assertEquals(43, d.length());
      d = (Done) readExactly(ascii("PROXY TCP6 2001:db8::1 ::1 0 65535\r\n"), mode);
      assertEquals(new InetSocketAddress("2001:db8::1", 0), d.header().clientAddress());
      d = (Done) readExactly(ascii("PROXY UNKNOWN\r\n"), mode);
      assertNull(d.header().clientAddress(), "UNKNOWN: the connection's own address counts");
      d = (Done) readExactly(ascii("PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n"), mode);
      assertNull(d.header().clientAddress());
      d = (Done) readExactly(ascii("PROXY TCP4 0.0.0.0 0.0.0.0 0 0\r\n"), mode);
      assertEquals(32, d.length(), "the shortest TCP4 line");
      String longest = "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
          + "65535 65535\r\n";
      assertEquals(ProxyProtocolParser.V1_MAX, longest.length());
      assertEquals(ProxyProtocolParser.V1_MAX, ((Done) readExactly(ascii(longest), mode)).length());
    }
  }

  @Test
  void invalid_version_1_lines_are_refused_with_the_reason() {
    for (String bad : List.of(
        "PROXY TCP4 192.168.1.1 10.0.0.1 56324\r\n", // a field missing
        "PROXY TCP4 192.168.1.1 10.0.0.1 56324 443 1\r\n", // one too many
        "PROXY TCP4  192.168.1.1 10.0.0.1 1 2\r\n", // two spaces
        "PROXY TCP4 192.168.1.256 10.0.0.1 1 2\r\n", // octet > 255
        "PROXY TCP4 192.168.01.1 10.0.0.1 1 2\r\n", // leading zero
        "PROXY TCP4 2001:db8::1 10.0.0.1 1 2\r\n", // IPv6 in TCP4
        "PROXY TCP6 192.168.1.1 ::1 1 2\r\n", // IPv4 in TCP6
        "PROXY TCP6 example.com ::1 1 2\r\n", // a name, never looked up
        "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", // port > 65535
        "PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",
        "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", // no such protocol
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", // LF without CR
        "PROXY TCP4 1.2.3.4\r5.6.7.8 1 2\r\n", // bare CR
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\u0000\r\n", // control octet
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 " + "x".repeat(80) + "\r\n", // too long
        "PROXY UNKNOWN " + "x".repeat(100))) { // no end within 107 octets
      byte[] b = ascii(bad);
      Step step = ProxyProtocolParser.examine(b, b.length, ProxyProtocolMode.ANY);
      assertInstanceOf(Invalid.class, step, bad);
      assertTrue(((Invalid) step).reason().contains("version 1"), ((Invalid) step).reason());
    }
  }

  @Test
  void version_2_headers_of_every_family_parse_with_their_tlvs_skipped() {
    for (ProxyProtocolMode mode : List.of(ProxyProtocolMode.V2, ProxyProtocolMode.ANY, ProxyProtocolMode.OPTIONAL)) {
      byte[] tlv = {0x04, 0x00, 0x03, 'a', 'b', 'c'}; // PP2_TYPE_NOOP, 3 octets
      byte[] inet = v2(0x21, 0x11, inetPayload(tlv));
      Done d = (Done) readExactly(inet, mode);
      assertEquals(new ProxyProtocolHeader(2, false, new InetSocketAddress("192.0.2.1", 56324),
          new InetSocketAddress("198.51.100.2", 443)), d.header());
      assertEquals(16 + 12 + 6, d.length());
      d = (Done) readExactly(v2(0x21, 0x21, inet6Payload()), mode);
      assertEquals(new InetSocketAddress("2001:db8::1", 12345), d.header().clientAddress());
      assertEquals(new InetSocketAddress("2001:db8::2", 80), d.header().destination());
      d = (Done) readExactly(v2(0x20, 0x00, new byte[0]), mode);
      assertTrue(d.header().local(), "LOCAL");
      assertNull(d.header().clientAddress(), "LOCAL: the real address counts");
      d = (Done) readExactly(v2(0x20, 0x11, inetPayload(new byte[0])), mode);
      assertNull(d.header().clientAddress(), "LOCAL ignores the address block");
      assertNull(((Done) readExactly(v2(0x21, 0x00, new byte[3]), mode)).header().clientAddress(), "UNSPEC");
      assertNull(((Done) readExactly(v2(0x21, 0x31, new byte[216]), mode)).header().clientAddress(), "UNIX");
      byte[] most = v2(0x21, 0x11, inetPayload(new byte[ProxyProtocolParser.V2_MAX_PAYLOAD - 12]));
      assertEquals(most.length, ((Done) readExactly(most, mode)).length());
    }
  }

  @Test
  void invalid_version_2_headers_are_refused_with_the_reason() {
    List<byte[]> bad = List.of(
        v2(0x11, 0x11, inetPayload(new byte[0])), // version 1 in a version 2 header
        v2(0x22, 0x11, inetPayload(new byte[0])), // command 2
        v2(0x21, 0x41, inetPayload(new byte[0])), // family 4
        v2(0x21, 0x11, new byte[11]), // INET with 11 address octets
        v2(0x21, 0x21, new byte[35]), // INET6 with 35
        v2(0x21, 0x21, inetPayload(new byte[0])), // INET6 family, INET-sized block
        v2(0x21, 0x31, new byte[215]), // UNIX with 215
        v2(0x21, 0x12, inetPayload(new byte[0])), // DGRAM
        v2(0x21, 0x10, inetPayload(new byte[0])), // INET, protocol UNSPEC
        v2(0x21, 0x11, new byte[ProxyProtocolParser.V2_MAX_PAYLOAD + 1])); // too long
    for (byte[] b : bad) {
      Step step = ProxyProtocolParser.examine(b, b.length, ProxyProtocolMode.ANY);
      assertInstanceOf(Invalid.class, step, java.util.Arrays.toString(b));
      assertTrue(((Invalid) step).reason().contains("version 2"), ((Invalid) step).reason());
    }
  }

  @Test
  void a_bad_signature_is_refused_in_a_required_mode_and_not_a_header_in_the_optional_one() {
    byte[] v2 = v2(0x21, 0x11, inetPayload(new byte[0]));
    byte[] badSignature = v2.clone();
    badSignature[11] = 0x0B;
    byte[] http = ascii("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    byte[] tls = {0x16, 0x03, 0x01, 0x00, (byte) 0xc8, 0x01};
    for (byte[] b : List.of(badSignature, http, tls, ascii("PROXX TCP4 1.2.3.4 5.6.7.8 1 2\r\n"))) {
      assertInstanceOf(Invalid.class, ProxyProtocolParser.examine(b, b.length, ProxyProtocolMode.ANY));
      assertInstanceOf(NotAHeader.class, ProxyProtocolParser.examine(b, b.length, ProxyProtocolMode.OPTIONAL));
    }
    byte[] v1 = ascii("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n");
    assertInstanceOf(Invalid.class, ProxyProtocolParser.examine(v1, v1.length, ProxyProtocolMode.V2),
        "a version 1 line to a version 2 listener");
    assertInstanceOf(Invalid.class, ProxyProtocolParser.examine(v2, v2.length, ProxyProtocolMode.V1),
        "a version 2 header to a version 1 listener");
    assertInstanceOf(Invalid.class, ProxyProtocolParser.examine(http, 1, ProxyProtocolMode.V1),
        "decided on the first octet");
  }

  @Test
  void a_truncated_header_needs_more_and_never_more_than_its_rest() {
    byte[] v1 = ascii("PROXY TCP4 192.168.1.1 10.0.0.1 56324 443\r\n");
    byte[] v2 = v2(0x21, 0x21, inet6Payload());
    for (byte[] h : List.of(v1, v2)) {
      for (int have = 1; have < h.length; have++) {
        Step step = ProxyProtocolParser.examine(h, have, ProxyProtocolMode.ANY);
        NeedMore more = assertInstanceOf(NeedMore.class, step, "prefix of " + have);
        assertTrue(more.atLeast() >= 1 && more.atLeast() <= h.length - have,
            "after " + have + " octets it asks for " + more.atLeast() + " of " + (h.length - have) + " left");
      }
    }
  }

  @Test
  void modes_parse_from_configuration_values() {
    assertEquals(ProxyProtocolMode.ANY, ProxyProtocolMode.parse(" Any"));
    assertEquals(ProxyProtocolMode.V2, ProxyProtocolMode.parse("v2"));
    assertTrue(ProxyProtocolMode.V1.required());
    assertTrue(!ProxyProtocolMode.OPTIONAL.required() && !ProxyProtocolMode.OFF.required());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ProxyProtocolMode.parse("on"));
    assertTrue(e.getMessage().contains("off, optional, v1, v2 or any"), e.getMessage());
  }
}
