package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * HttpHeaders reads the host of the first {@code Host} field in place (hostIs, hostReadableInPlace, hostLowerCase) as
 * the remap step read it from the field's String: trimmed, without port, case ignored as
 * {@code String.regionMatches(true, ...)} ignores it; for parsed fields and for fields set as Strings.
 */
class HttpHeadersHostTest {

  private static final List<String> VALUES = List.of("example.test", "EXAMPLE.Test", "example.test:8080",
      "example.test:", ":80", "", "example.test:80@evil.test", "example.test.", "example.tes", "example.test.evil",
      "exam ple.test", "example.test, evil.test", "[::1]", "[::1]:8080", "[::1:8080", "[::1]x:1", "a", "A:1",
      "\u00e9xample.test", "\u00c9XAMPLE.test:1", "x\u00ffy", "@", "`", "[", "]", "example.test\t", "\texample.test");
  private static final List<String> RULE_HOSTS = List.of("example.test", "[::1]", "", "a", "@", "`",
      "\u00e9xample.test", "x\u00ffy", "\u0131", "exAmple.test");

  @Test
  void the_host_read_in_place_compares_as_the_string_of_the_field_did_for_parsed_and_set_fields() {
    for (String value : VALUES) {
      for (HttpHeaders fields : List.of(parsed(value), new HttpHeaders().add("Host", value))) {
        String text = fields.get(HttpHeaders.HOST);
        int[] region = oldRegion(text);
        boolean ascii = text.substring(region[0], region[1]).chars().allMatch(c -> c < 0x80);
        assertEquals(ascii, fields.hostReadableInPlace(), value);
        assertEquals(text.substring(region[0], region[1]).toLowerCase(Locale.ROOT), fields.hostLowerCase(), value);
        if (!ascii) {
          continue; // compared as the lower-cased String, as before: not read in place
        }
        for (String host : RULE_HOSTS) {
          boolean before = region[1] - region[0] == host.length()
              && text.regionMatches(true, region[0], host, 0, host.length());
          assertEquals(before, fields.hostIs(host), "'" + value + "' against '" + host + "'");
        }
      }
    }
  }

  @Test
  void without_a_host_field_nothing_matches_and_the_first_of_several_set_ones_counts() {
    HttpHeaders none = new HttpHeaders().add("Hostx", "example.test");
    assertFalse(none.hostReadableInPlace());
    assertFalse(none.hostIs("example.test"));
    assertNull(none.hostLowerCase());
    HttpHeaders two = new HttpHeaders().add("X", "y").add("host", "First.test:1").add("HOST", "second.test");
    assertEquals(true, two.hostIs("first.test"));
    assertFalse(two.hostIs("second.test"));
    assertEquals("first.test", two.hostLowerCase());
    two.set("Host", "third.test");
    assertEquals(true, two.hostIs("third.test"));
  }

  /** The region String.trim and the port cut of the old remap step gave: {start, end}. */
  private static int[] oldRegion(String text) {
    int start = 0;
    int end = text.length();
    while (start < end && text.charAt(start) <= ' ') {
      start++;
    }
    while (end > start && text.charAt(end - 1) <= ' ') {
      end--;
    }
    if (start < end && text.charAt(start) == '[') {
      int close = text.indexOf(']', start);
      return new int[] {start, close < 0 || close >= end ? end : close + 1};
    }
    int colon = text.indexOf(':', start);
    return new int[] {start, colon < 0 || colon >= end ? end : colon};
  }

  private static HttpHeaders parsed(String hostValue) {
    IOBuffer buffer = new IOBuffer(new BlockPool());
    try {
      buffer.write(("GET / HTTP/1.1\r\nHost: " + hostValue + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      HttpHeadParser.Result<HttpRequestHead> r = new HttpHeadParser().parseRequest(buffer.allocReader());
      return ((HttpHeadParser.Parsed<HttpRequestHead>) r).head().headers();
    } finally {
      buffer.close();
    }
  }
}
