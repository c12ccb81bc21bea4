package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HttpHeadersTest {

  @Test
  void caseInsensitiveLookupKeepsReceivedNamesAndOrder() {
    HttpHeaders h = new HttpHeaders().add("Accept", "a").add("X-Foo", "1").add("accept", "b").add("ACCEPT", " c ");
    assertEquals("a", h.get("ACCEPT"));
    assertEquals(List.of("a", "b", "c"), h.getAll("accept"));
    assertTrue(h.contains("x-foo"));
    assertFalse(h.contains("x-bar"));
    assertNull(h.get("x-bar"));
    assertEquals(4, h.size());
    List<String> names = new ArrayList<>();
    h.forEach(f -> names.add(f.name()));
    assertEquals(List.of("Accept", "X-Foo", "accept", "ACCEPT"), names);
    assertEquals("Accept: a\r\nX-Foo: 1\r\naccept: b\r\nACCEPT: c\r\n", h.writeTo(new StringBuilder()).toString());
  }

  @Test
  void setReplacesInPlaceAndRemoveRemovesAll() {
    HttpHeaders h = new HttpHeaders().add("A", "1").add("B", "2").add("a", "3");
    h.set("a", "9");
    assertEquals(List.of(new HttpHeaders.Field("a", "9"), new HttpHeaders.Field("B", "2")), h.fields());
    h.set("C", "4");
    assertEquals("4", h.get("c"));
    assertEquals(1, h.remove("A"));
    assertEquals(0, h.remove("A"));
    assertEquals(2, h.size());
  }

  @Test
  void addRefusesInjection() {
    HttpHeaders h = new HttpHeaders();
    assertThrows(IllegalArgumentException.class, () -> h.add("X", "a\r\nEvil: 1"));
    assertThrows(IllegalArgumentException.class, () -> h.add("Bad Name", "v"));
    assertThrows(IllegalArgumentException.class, () -> h.set("", "v"));
    assertEquals(0, h.size());
  }

  @Test
  void contentLengthRules() {
    assertEquals(OptionalLong.empty(), new HttpHeaders().contentLength());
    assertEquals(OptionalLong.of(10), new HttpHeaders().add("Content-Length", "10").contentLength());
    assertEquals(OptionalLong.of(10),
        new HttpHeaders().add("content-length", "10").add("CONTENT-LENGTH", "10, 10").contentLength());
    for (String bad : List.of("-1", "1.0", "", "1,2", "9223372036854775808", "abc")) {
      assertThrows(IllegalStateException.class,
          () -> new HttpHeaders().add("Content-Length", bad).contentLength(), bad);
    }
    assertThrows(IllegalStateException.class,
        () -> new HttpHeaders().add("Content-Length", "1").add("Content-Length", "2").contentLength());
  }

  @Test
  void contentLengthOrNegativeAnswersAsContentLengthWithoutAnOptional() {
    assertEquals(-1, new HttpHeaders().contentLengthOrNegative());
    assertEquals(0, new HttpHeaders().add("Content-Length", "0").contentLengthOrNegative());
    assertEquals(10, new HttpHeaders().add("content-length", "10").add("CONTENT-LENGTH", "10, 10")
        .contentLengthOrNegative());
    for (String bad : List.of("-1", "1.0", "", "1,2", "9223372036854775808", "abc")) {
      assertThrows(IllegalStateException.class,
          () -> new HttpHeaders().add("Content-Length", bad).contentLengthOrNegative(), bad);
    }
    assertThrows(IllegalStateException.class,
        () -> new HttpHeaders().add("Content-Length", "1").add("Content-Length", "2").contentLengthOrNegative());
  }

  @Test
  void chunkedAndConnectionTokens() {
    assertFalse(new HttpHeaders().isChunked());
    assertTrue(new HttpHeaders().add("Transfer-Encoding", "gzip, CHUNKED").isChunked());
    assertFalse(new HttpHeaders().add("Transfer-Encoding", "chunked, gzip").isChunked());
    assertTrue(new HttpHeaders().add("Transfer-Encoding", "gzip").add("transfer-encoding", "chunked").isChunked());
    HttpHeaders c = new HttpHeaders().add("Connection", "Keep-Alive, Upgrade").add("connection", "close,,upgrade");
    assertEquals(List.of("keep-alive", "upgrade", "close"), List.copyOf(c.connectionTokens()));
    assertEquals(Set.of(), new HttpHeaders().connectionTokens());
  }

  @Test
  void equalityAndCopy() {
    HttpHeaders a = new HttpHeaders().add("A", "1");
    HttpHeaders b = HttpHeaders.copyOf(a);
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    b.add("B", "2");
    assertEquals(1, a.size());
  }

  @Test
  void headsValidateAndWrite() {
    HttpHeaders h = new HttpHeaders().add("Host", "h");
    assertEquals("GET / HTTP/1.0\r\nHost: h\r\n\r\n",
        new HttpRequestHead("GET", "/", HttpVersion.HTTP_1_0, h).writeTo(new StringBuilder()).toString());
    assertEquals("HTTP/1.1 200 All Good\r\nHost: h\r\n\r\n",
        new HttpResponseHead(HttpVersion.HTTP_1_1, 200, "All Good", h).writeTo(new StringBuilder()).toString());
    assertThrows(IllegalArgumentException.class, () -> new HttpRequestHead("G T", "/", HttpVersion.HTTP_1_1, h));
    assertThrows(IllegalArgumentException.class, () -> new HttpRequestHead("GET", "/ x", HttpVersion.HTTP_1_1, h));
    assertThrows(IllegalArgumentException.class, () -> new HttpResponseHead(HttpVersion.HTTP_1_1, 99, "", h));
    assertThrows(IllegalArgumentException.class, () -> new HttpResponseHead(HttpVersion.HTTP_1_1, 200, "a\nb", h));
  }
}
