package dev.vconn.domain.http;

import dev.vconn.domain.tls.TlsSessionInfo;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * How an {@link AccessLogRecord} is written as one line: the record is the single source of the facts, each format
 * only renders them (docs/server.md, "Access log formats").
 */
public enum AccessLogFormat {
  /** vconn's own space-separated {@code key=value} fields ({@link AccessLogRecord#toLogLine()}): the default. */
  KV("kv"),
  /**
   * The Common Log Format: {@code host ident authuser [date] "request" status bytes}, with {@code -} for ident and
   * authuser, the request line as the client sent it, {@code bytes} the bytes written to the client ({@code -} for
   * none).
   */
  COMMON("common"),
  /** The Combined Log Format: the Common Log Format followed by {@code "referer" "user-agent"}. */
  COMBINED("combined"),
  /** JSON lines: one JSON object per line with every field of the record (TLS fields null without TLS). */
  JSON("json");

  /** The Common Log Format's time stamp, always in English month names. */
  private static final DateTimeFormatter CLF_TIME =
      DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT);

  private final String configName;

  AccessLogFormat(String configName) {
    this.configName = configName;
  }

  /** Its name on the command line and in the config file: kv, common, combined or json. */
  public String configName() {
    return configName;
  }

  /**
   * The format named {@code name} ({@link #configName()}, case-insensitive).
   *
   * @throws IllegalArgumentException naming the accepted names if there is no such format
   */
  public static AccessLogFormat fromName(String name) {
    for (AccessLogFormat f : values()) {
      if (f.configName.equalsIgnoreCase(name)) {
        return f;
      }
    }
    throw new IllegalArgumentException("unknown access log format '" + name + "': use kv, common, combined or json");
  }

  /**
   * Renders one record.
   *
   * @param r the record
   * @return the line, without a line end
   */
  public String render(AccessLogRecord r) {
    return switch (this) {
      case KV -> r.toLogLine();
      case COMMON -> common(r).toString();
      case COMBINED -> common(r).append(" \"").append(quoted(r.referer() == null ? "-" : r.referer()))
          .append("\" \"").append(quoted(r.userAgent() == null ? "-" : r.userAgent())).append('"').toString();
      case JSON -> json(r);
    };
  }

  private static StringBuilder common(AccessLogRecord r) {
    String host = AccessLogRecord.host(r.client());
    if (host.isEmpty() || host.chars().anyMatch(c -> c <= ' ' || c >= 0x7f)) {
      host = "-";
    }
    String request = r.method().equals("-") ? "-" : r.method() + " " + r.url() + " " + r.protocol();
    return new StringBuilder(160).append(host).append(" - - [")
        .append(CLF_TIME.format(r.time().atZone(ZoneId.systemDefault()))).append("] \"").append(quoted(request))
        .append("\" ").append(r.status() == 0 ? "-" : Integer.toString(r.status())).append(' ')
        .append(r.bytesOut() == 0 ? "-" : Long.toString(r.bytesOut()));
  }

  /**
   * A value inside the double quotes of the Common and Combined formats: {@code "} and {@code \} are escaped with a
   * backslash, control and non-ASCII characters as {@code \xHH} (of each UTF-8 byte), as Apache httpd writes them.
   */
  static String quoted(String s) {
    StringBuilder b = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
        if (b != null) {
          b.append(c);
        }
        continue;
      }
      if (b == null) {
        b = new StringBuilder(s.length() + 16).append(s, 0, i);
      }
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else {
        int end = Character.isHighSurrogate(c) && i + 1 < s.length() ? i + 2 : i + 1;
        for (byte x : s.substring(i, end).getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
          b.append("\\x").append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
        }
        i = end - 1;
      }
    }
    return b == null ? s : b.toString();
  }

  private static String json(AccessLogRecord r) {
    StringBuilder b = new StringBuilder(320).append('{');
    field(b, "time", r.time().toString());
    field(b, "client", r.client() == null ? null : AccessLogRecord.address(r.client()));
    field(b, "method", r.method());
    field(b, "url", r.url());
    field(b, "protocol", r.protocol());
    number(b, "status", r.status());
    number(b, "bytes_in", r.bytesIn());
    number(b, "bytes_out", r.bytesOut());
    number(b, "duration_ms", r.durationMillis());
    number(b, "origin_ms", r.originMillis());
    field(b, "origin", r.origin());
    field(b, "user_agent", r.userAgent());
    field(b, "referer", r.referer());
    tls(b, "tls", r.tls());
    tls(b, "origin_tls", r.originTls());
    field(b, "pitag", r.pluginTag());
    number(b, "piid", r.pluginId());
    b.append("\"internal\":").append(r.internal());
    return b.append('}').toString();
  }

  private static void tls(StringBuilder b, String prefix, TlsSessionInfo tls) {
    field(b, prefix + "_protocol", tls == null ? null : tls.protocol());
    field(b, prefix + "_cipher", tls == null ? null : tls.cipherSuite());
    if (prefix.equals("tls")) { // the client side's SNI and ALPN
      field(b, "tls_sni", tls == null || tls.serverName().isEmpty() ? null : tls.serverName());
      field(b, "tls_alpn", tls == null || tls.applicationProtocol().isEmpty() ? null : tls.applicationProtocol());
    }
  }

  private static void number(StringBuilder b, String name, long value) {
    b.append('"').append(name).append("\":").append(value).append(',');
  }

  private static void field(StringBuilder b, String name, String value) {
    b.append('"').append(name).append("\":");
    if (value == null) {
      b.append("null,");
      return;
    }
    b.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f || c == 0x2028 || c == 0x2029) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append("\",");
  }
}
