package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HttpLimitsTest {

  @Test
  void defaults() {
    HttpLimits d = HttpLimits.defaults();
    assertEquals(8192, d.maxRequestLineBytes());
    assertEquals(65536, d.maxHeaderBytes());
    assertEquals(100, d.maxHeaderCount());
  }

  @Test
  void validationNamesTheField() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new HttpLimits(0, 1, 1)).getMessage()
        .contains("maxRequestLineBytes"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new HttpLimits(1, -1, 1)).getMessage()
        .contains("maxHeaderBytes"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new HttpLimits(1, 1, 0)).getMessage()
        .contains("maxHeaderCount"));
  }

  @Test
  void versions() {
    assertEquals(HttpVersion.HTTP_1_1, HttpVersion.fromText("HTTP/1.1").orElseThrow());
    assertEquals(HttpVersion.HTTP_1_0, HttpVersion.fromText("HTTP/1.0").orElseThrow());
    assertTrue(HttpVersion.fromText("http/1.1").isEmpty());
    assertEquals("HTTP/1.1", HttpVersion.HTTP_1_1.text());
  }
}
