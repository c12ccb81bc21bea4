package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The wire form of heads ({@code toBytes}): exactly the status or request line, every field as received (names in
 * their case, obs-text values byte for byte as ISO-8859-1), CRLF after each and the empty line, in the same bytes as
 * the text form {@code writeTo(StringBuilder)}.
 */
class HttpHeadWireFormTest {

  private static byte[] latin1(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  @Test
  void a_request_head_is_its_request_line_fields_and_empty_line_byte_for_byte() {
    HttpHeaders h = new HttpHeaders().add("Host", "a.test").add("x-LATIN", "caf\u00e9 \u00ff\u0080").add("A", "")
        .add("Accept", "*/*");
    HttpRequestHead head = new HttpRequestHead("PATCH", "/p?q=%20&r=~", HttpVersion.HTTP_1_1, h);
    String wire = "PATCH /p?q=%20&r=~ HTTP/1.1\r\nHost: a.test\r\nx-LATIN: caf\u00e9 \u00ff\u0080\r\nA: \r\n"
        + "Accept: */*\r\n\r\n";
    assertArrayEquals(latin1(wire), head.toBytes());
    assertEquals(wire, head.writeTo(new StringBuilder()).toString());
  }

  @Test
  void a_request_head_without_fields_is_its_request_line_and_the_empty_line() {
    HttpRequestHead head = new HttpRequestHead("GET", "*", HttpVersion.HTTP_1_0, new HttpHeaders());
    assertArrayEquals(latin1("GET * HTTP/1.0\r\n\r\n"), head.toBytes());
  }

  @Test
  void a_response_head_has_three_status_digits_its_reason_as_given_and_the_fields_in_order() {
    HttpHeaders h = new HttpHeaders().add("Content-Length", "2").add("X-\u0041", "\u00e9t\u00e9\tx");
    assertArrayEquals(latin1("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: \u00e9t\u00e9\tx\r\n\r\n"),
        new HttpResponseHead(HttpVersion.HTTP_1_1, 200, "OK", h).toBytes());
    assertArrayEquals(latin1("HTTP/1.0 100 \r\n\r\n"),
        new HttpResponseHead(HttpVersion.HTTP_1_0, 100, "", new HttpHeaders()).toBytes());
    assertArrayEquals(latin1("HTTP/1.1 599 Some \u00c4rger here\r\n\r\n"),
        new HttpResponseHead(HttpVersion.HTTP_1_1, 599, "Some \u00c4rger here", new HttpHeaders()).toBytes());
    HttpResponseHead head = new HttpResponseHead(HttpVersion.HTTP_1_1, 404, "Not Found", h);
    assertArrayEquals(latin1(head.writeTo(new StringBuilder()).toString()), head.toBytes());
  }
}
