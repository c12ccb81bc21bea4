package dev.vconn.domain.http2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.http.HttpHeaders;
import dev.vconn.domain.http.HttpResponseHead;
import dev.vconn.domain.http.HttpVersion;
import dev.vconn.domain.http2.hpack.HeaderField;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pure mapping between HTTP/2 header lists and HTTP/1.1 heads (RFC 9113, section 8). */
class Http2MappingTest {

  static List<HeaderField> list(String... nameValues) {
    List<HeaderField> out = new ArrayList<>();
    for (int i = 0; i < nameValues.length; i += 2) {
      out.add(new HeaderField(nameValues[i], nameValues[i + 1]));
    }
    return out;
  }

  static String head(List<HeaderField> fields, boolean endStream) throws Http2Mapping.MalformedException {
    Http2Mapping.Request r = Http2Mapping.request(fields);
    return new String(Http2Mapping.requestHead(r, Http2Mapping.framing(r, endStream)), StandardCharsets.ISO_8859_1);
  }

  @Test
  void request_heads_in_http11() throws Exception {
    assertEquals("GET /x HTTP/1.1\r\nHost: h.test:8443\r\nuser-agent: u\r\n\r\n",
        head(list(":method", "GET", ":scheme", "https", ":authority", "h.test:8443", ":path", "/x",
            "user-agent", "u"), true));
    assertEquals("PUT /x HTTP/1.1\r\nHost: h\r\ncontent-length: 4\r\n\r\n",
        head(list(":method", "PUT", ":scheme", "http", ":authority", "h", ":path", "/x", "content-length", "4"),
            false));
    assertEquals("PATCH /x HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
        head(list(":method", "PATCH", ":scheme", "http", ":authority", "h", ":path", "/x"), true));
    assertEquals("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
        head(list(":method", "POST", ":scheme", "http", ":authority", "h", ":path", "/x", "te", "trailers"), false));
    assertEquals("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
        head(list(":method", "OPTIONS", ":scheme", "http", ":path", "*", "host", "h"), true));
    assertEquals("GET / HTTP/1.1\r\nHost: h\r\ncookie: a=b; c=d; e=f\r\nx: 1\r\n\r\n",
        head(list(":method", "GET", ":scheme", "http", ":authority", "h", ":path", "/", "cookie", "a=b", "x", "1",
            "cookie", "c=d", "cookie", "e=f"), true));
  }

  @Test
  void malformed_request_header_lists() {
    List<List<HeaderField>> bad = List.of(
        list(":scheme", "http", ":authority", "h", ":path", "/"),
        list(":method", "GET", ":authority", "h", ":path", "/"),
        list(":method", "GET", ":scheme", "http", ":authority", "h"),
        list(":method", "GET", ":scheme", "http", ":authority", "h", ":path", ""),
        list(":method", "GET", ":scheme", "http", ":authority", "h", ":path", "x"),
        list(":method", "GET", ":scheme", "http", ":authority", "h", ":path", "/a b"),
        list(":method", "GET", ":method", "GET", ":scheme", "http", ":path", "/"),
        list(":method", "GET", ":scheme", "http", ":path", "/", ":status", "200"),
        list(":method", "GET", ":scheme", "http", ":path", "/", ":foo", "1"),
        list(":method", "GET", ":scheme", "http", "x", "1", ":path", "/"),
        list(":method", "GET", ":scheme", "http", ":path", "/", "Upper", "1"),
        list(":method", "GET", ":scheme", "http", ":path", "/", "connection", "keep-alive"),
        list(":method", "GET", ":scheme", "http", ":path", "/", "keep-alive", "1"),
        list(":method", "GET", ":scheme", "http", ":path", "/", "proxy-connection", "1"),
        list(":method", "GET", ":scheme", "http", ":path", "/", "transfer-encoding", "chunked"),
        list(":method", "GET", ":scheme", "http", ":path", "/", "upgrade", "h2c"),
        list(":method", "GET", ":scheme", "http", ":path", "/", "te", "gzip"),
        list(":method", "GET", ":scheme", "http", ":path", "/", "x", "a\nb"),
        list(":method", "GET", ":scheme", "http", ":path", "/", "x", "a\u0000b"),
        list(":method", "GET", ":scheme", "http", ":path", "/", "x", " padded"),
        list(":method", "GET", ":scheme", "http", ":path", "/", "content-length", "1", "content-length", "2"),
        list(":method", "GET", ":scheme", "http", ":path", "/", "content-length", "-1"),
        list(":method", "GET", ":scheme", "http", ":authority", "a", ":path", "/", "host", "b"),
        list(":method", "GET", ":scheme", "http", ":authority", "u@h", ":path", "/"),
        list(":method", "G T", ":scheme", "http", ":path", "/"),
        list(":method", "CONNECT", ":scheme", "http", ":authority", "h:1", ":path", "/"),
        list(":method", "GET", ":scheme", "http", ":path", "/", "bad name", "1"));
    for (List<HeaderField> l : bad) {
      assertThrows(Http2Mapping.MalformedException.class, () -> Http2Mapping.request(l), l::toString);
    }
  }

  @Test
  void request_trailers_may_not_carry_pseudo_headers_or_connection_fields() throws Exception {
    assertThrows(Http2Mapping.MalformedException.class,
        () -> Http2Mapping.requestTrailers(list(":path", "/")));
    assertThrows(Http2Mapping.MalformedException.class,
        () -> Http2Mapping.requestTrailers(list("connection", "close")));
    assertEquals("x: 1\r\n", Http2Mapping.requestTrailers(list("x", "1")).writeTo(new StringBuilder()).toString());
  }

  @Test
  void response_fields_are_lower_case_without_connection_specific_ones() {
    HttpHeaders h = new HttpHeaders().add("Content-Type", "text/html").add("Connection", "X-Private, close")
        .add("X-Private", "p").add("Keep-Alive", "timeout=1").add("Transfer-Encoding", "chunked")
        .add("Upgrade", "websocket").add("Proxy-Connection", "x").add("Set-Cookie", "a=1").add("Set-Cookie", "b=2");
    HttpResponseHead head = new HttpResponseHead(HttpVersion.HTTP_1_1, 200, "OK", h);
    assertEquals(list(":status", "200", "content-type", "text/html", "set-cookie", "a=1", "set-cookie", "b=2"),
        Http2Mapping.responseFields(head));
    assertFalse(Http2Mapping.keepAlive(head));
    assertTrue(Http2Mapping.keepAlive(new HttpResponseHead(HttpVersion.HTTP_1_1, 200, "OK", new HttpHeaders())));
    assertFalse(Http2Mapping.keepAlive(new HttpResponseHead(HttpVersion.HTTP_1_0, 200, "OK", new HttpHeaders())));
    assertEquals(list("grpc-status", "0"), Http2Mapping.responseTrailers(
        new HttpHeaders().add("Grpc-Status", "0").add("Content-Length", "3").add("Connection", "close")));
  }
}
