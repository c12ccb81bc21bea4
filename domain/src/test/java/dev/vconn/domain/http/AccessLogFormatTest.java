package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.tls.TlsSessionInfo;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Each access log format parsed back strictly: the Common and Combined Log Formats by a regular expression of exactly
 * their fields, JSON lines by a strict RFC 8259 parser; every value read back equals the record's.
 */
class AccessLogFormatTest {
  /** A quoted CLF field: printable ASCII, with {@code "} and {@code \} only escaped, other bytes as {@code \xHH}. */
  private static final String QUOTED = "\"((?:[\\x20-\\x21\\x23-\\x5b\\x5d-\\x7e]|\\\\[\"\\\\]|\\\\x[0-9a-f]{2})*)\"";
  private static final String COMMON_RE = "(\\S+) (\\S+) (\\S+) \\[(\\d{2}/[A-Z][a-z]{2}/\\d{4}:\\d{2}:\\d{2}:\\d{2}"
      + " [+-]\\d{4})\\] " + QUOTED + " (\\d{3}|-) (\\d+|-)";
  private static final Pattern COMMON = Pattern.compile(COMMON_RE);
  private static final Pattern COMBINED = Pattern.compile(COMMON_RE + " " + QUOTED + " " + QUOTED);
  private static final DateTimeFormatter CLF_TIME = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT);

  private static final Instant TIME = Instant.parse("2026-03-09T14:05:06.789Z");
  private static final TlsSessionInfo CLIENT_TLS =
      new TlsSessionInfo("TLSv1.3", "TLS_AES_128_GCM_SHA256", "http/1.1", "www.example.test", List.of());
  private static final TlsSessionInfo ORIGIN_TLS =
      new TlsSessionInfo("TLSv1.2", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "", "origin.test", List.of());

  private static AccessLogRecord record(String userAgent, String referer, TlsSessionInfo tls,
      TlsSessionInfo originTls) {
    return new AccessLogRecord(new InetSocketAddress("192.0.2.7", 41000), "GET", "/a?b=c", 200, 80, 1234, 17,
        "origin.test:443", null, 0, false, tls, originTls, "HTTP/1.1", userAgent, referer, TIME, 9);
  }

  @Test
  void common_log_format_has_exactly_its_seven_fields() {
    String line = AccessLogFormat.COMMON.render(record("curl/8.0", "https://r.test/", null, null));
    Matcher m = COMMON.matcher(line);
    assertTrue(m.matches(), line);
    assertEquals("192.0.2.7", m.group(1));
    assertEquals("-", m.group(2));
    assertEquals("-", m.group(3));
    assertEquals(TIME.getEpochSecond(), ZonedDateTime.parse(m.group(4), CLF_TIME).toEpochSecond());
    assertEquals(CLF_TIME.format(TIME.atZone(ZoneId.systemDefault())), m.group(4), "local time with its offset");
    assertEquals("GET /a?b=c HTTP/1.1", m.group(5));
    assertEquals("200", m.group(6));
    assertEquals("1234", m.group(7));
  }

  @Test
  void combined_log_format_adds_referer_and_user_agent_quoted() {
    AccessLogRecord r = record("Mozilla/5.0 \"quoted\" back\\slash", "https://r.test/?q=\"x\"", CLIENT_TLS, null);
    Matcher m = COMBINED.matcher(AccessLogFormat.COMBINED.render(r));
    assertTrue(m.matches(), AccessLogFormat.COMBINED.render(r));
    assertEquals("https://r.test/?q=\\\"x\\\"", m.group(8));
    assertEquals("Mozilla/5.0 \\\"quoted\\\" back\\\\slash", m.group(9));
    assertEquals("GET /a?b=c HTTP/1.1", m.group(5));
  }

  @Test
  void combined_log_format_writes_dashes_for_what_is_missing_and_escapes_control_and_non_ascii_bytes() {
    AccessLogRecord none = new AccessLogRecord(null, "-", "-", 0, 12, 0, 0, "-", null, 0, false);
    Matcher m = COMBINED.matcher(AccessLogFormat.COMBINED.render(none));
    assertTrue(m.matches(), AccessLogFormat.COMBINED.render(none));
    assertEquals("-", m.group(1));
    assertEquals("-", m.group(5), "a rejected head has no request line");
    assertEquals("-", m.group(6), "no status sent");
    assertEquals("-", m.group(7), "no bytes sent");
    assertEquals("-", m.group(8));
    assertEquals("-", m.group(9));

    Matcher odd = COMBINED.matcher(AccessLogFormat.COMBINED.render(record("a\tb\u0001\u00e9", null, null, null)));
    assertTrue(odd.matches(), AccessLogFormat.COMBINED.render(record("a\tb\u0001\u00e9", null, null, null)));
    assertEquals("a\\x09b\\x01\\xc3\\xa9", odd.group(9), "one line, control and UTF-8 bytes as \\xHH");
  }

  @Test
  void json_lines_carry_every_field_of_the_record() {
    AccessLogRecord r = record("ua \"1\"\n\\", "https://r.test/", CLIENT_TLS, ORIGIN_TLS);
    String line = AccessLogFormat.JSON.render(r);
    assertTrue(line.indexOf('\n') < 0 && line.indexOf('\r') < 0, "one line: " + line);
    Map<String, Object> o = StrictJson.parseObject(line);
    assertEquals(List.of("time", "client", "method", "url", "protocol", "status", "bytes_in", "bytes_out",
        "duration_ms", "origin_ms", "origin", "user_agent", "referer", "tls_protocol", "tls_cipher", "tls_sni",
        "tls_alpn", "origin_tls_protocol", "origin_tls_cipher", "pitag", "piid", "internal"),
        new ArrayList<>(o.keySet()));
    assertEquals(TIME, Instant.parse((String) o.get("time")));
    assertEquals("192.0.2.7:41000", o.get("client"));
    assertEquals("GET", o.get("method"));
    assertEquals("/a?b=c", o.get("url"));
    assertEquals("HTTP/1.1", o.get("protocol"));
    assertEquals(200L, o.get("status"));
    assertEquals(80L, o.get("bytes_in"));
    assertEquals(1234L, o.get("bytes_out"));
    assertEquals(17L, o.get("duration_ms"));
    assertEquals(9L, o.get("origin_ms"));
    assertEquals("origin.test:443", o.get("origin"));
    assertEquals("ua \"1\"\n\\", o.get("user_agent"), "escaped and read back unchanged");
    assertEquals("https://r.test/", o.get("referer"));
    assertEquals("TLSv1.3", o.get("tls_protocol"));
    assertEquals("TLS_AES_128_GCM_SHA256", o.get("tls_cipher"));
    assertEquals("www.example.test", o.get("tls_sni"));
    assertEquals("http/1.1", o.get("tls_alpn"));
    assertEquals("TLSv1.2", o.get("origin_tls_protocol"));
    assertEquals("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", o.get("origin_tls_cipher"));
    assertNull(o.get("pitag"));
    assertEquals(0L, o.get("piid"));
    assertEquals(Boolean.FALSE, o.get("internal"));
  }

  @Test
  void json_lines_have_null_tls_fields_without_tls_and_escape_control_characters() {
    Map<String, Object> o = StrictJson.parseObject(AccessLogFormat.JSON.render(record("a\u0001\u2028b", null,
        null, null)));
    assertEquals("a\u0001\u2028b", o.get("user_agent"));
    assertNull(o.get("referer"));
    for (String k : List.of("tls_protocol", "tls_cipher", "tls_sni", "tls_alpn", "origin_tls_protocol",
        "origin_tls_cipher")) {
      assertTrue(o.containsKey(k) && o.get(k) == null, k);
    }
  }

  @Test
  void kv_is_the_record_line_and_ends_with_the_origin_tls_facts() {
    AccessLogRecord r = record(null, null, CLIENT_TLS, ORIGIN_TLS);
    assertEquals(r.toLogLine(), AccessLogFormat.KV.render(r));
    assertEquals("client=192.0.2.7:41000 method=GET url=/a?b=c status=200 in=80 out=1234 ms=17 origin=origin.test:443"
        + " pitag=- piid=0 cqint=0 tls=TLSv1.3 cipher=TLS_AES_128_GCM_SHA256 otls=TLSv1.2"
        + " ocipher=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", r.toLogLine());
    assertTrue(!record(null, null, null, null).toLogLine().contains("otls="));
  }

  @Test
  void formats_are_chosen_by_name_and_an_unknown_name_is_refused() {
    for (AccessLogFormat f : AccessLogFormat.values()) {
      assertEquals(f, AccessLogFormat.fromName(f.configName().toUpperCase(Locale.ROOT)));
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AccessLogFormat.fromName("xml"));
    assertTrue(e.getMessage().contains("'xml'") && e.getMessage().contains("kv, common, combined or json"),
        e.getMessage());
  }

  /** A strict RFC 8259 parser: whitespace only between tokens, no trailing data, no duplicate keys. */
  static final class StrictJson {
    private final String s;
    private int i;

    private StrictJson(String s) {
      this.s = s;
    }

    static Map<String, Object> parseObject(String text) {
      StrictJson p = new StrictJson(text);
      p.ws();
      Object v = p.value();
      p.ws();
      if (p.i != text.length()) {
        throw p.error("trailing data");
      }
      if (!(v instanceof Map<?, ?>)) {
        throw p.error("not an object");
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> m = (Map<String, Object>) v;
      return m;
    }

    private Object value() {
      if (i >= s.length()) {
        throw error("value expected");
      }
      char c = s.charAt(i);
      if (c == '{') {
        return object();
      }
      if (c == '"') {
        return string();
      }
      if (c == '-' || (c >= '0' && c <= '9')) {
        return number();
      }
      for (String lit : new String[] {"true", "false", "null"}) {
        if (s.startsWith(lit, i)) {
          i += lit.length();
          return lit.equals("null") ? null : Boolean.valueOf(lit);
        }
      }
      throw error("unexpected '" + c + "'");
    }

    private Map<String, Object> object() {
      Map<String, Object> m = new LinkedHashMap<>();
      i++;
      ws();
      if (peek() == '}') {
        i++;
        return m;
      }
      while (true) {
        ws();
        if (peek() != '"') {
          throw error("key expected");
        }
        String key = string();
        if (m.containsKey(key)) {
          throw error("duplicate key " + key);
        }
        ws();
        expect(':');
        ws();
        m.put(key, value());
        ws();
        char c = peek();
        i++;
        if (c == '}') {
          return m;
        }
        if (c != ',') {
          throw error("',' or '}' expected");
        }
      }
    }

    private String string() {
      expect('"');
      StringBuilder b = new StringBuilder();
      while (true) {
        char c = peek();
        i++;
        if (c == '"') {
          return b.toString();
        }
        if (c < 0x20) {
          throw error("raw control character in a string");
        }
        if (c != '\\') {
          b.append(c);
          continue;
        }
        char e = peek();
        i++;
        switch (e) {
          case '"', '\\', '/' -> b.append(e);
          case 'b' -> b.append('\b');
          case 'f' -> b.append('\f');
          case 'n' -> b.append('\n');
          case 'r' -> b.append('\r');
          case 't' -> b.append('\t');
          case 'u' -> {
            if (i + 4 > s.length() || !s.substring(i, i + 4).matches("[0-9a-fA-F]{4}")) {
              throw error("bad \\u escape");
            }
            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
            i += 4;
          }
          default -> throw error("bad escape \\" + e);
        }
      }
    }

    private Long number() {
      Matcher m = Pattern.compile("-?(0|[1-9][0-9]*)").matcher(s).region(i, s.length());
      if (!m.lookingAt()) {
        throw error("bad number");
      }
      i = m.end();
      if (i < s.length() && (s.charAt(i) == '.' || s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
        throw error("the log writes whole numbers only");
      }
      return Long.valueOf(m.group());
    }

    private void ws() {
      while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) {
        i++;
      }
    }

    private char peek() {
      if (i >= s.length()) {
        throw error("unexpected end");
      }
      return s.charAt(i);
    }

    private void expect(char c) {
      if (peek() != c) {
        throw error("'" + c + "' expected");
      }
      i++;
    }

    private IllegalArgumentException error(String what) {
      return new IllegalArgumentException(what + " at " + i + " in " + s);
    }
  }
}
