package dev.vconn.domain.http2;

import dev.vconn.domain.http.HttpHeaders;
import dev.vconn.domain.http.HttpResponseHead;
import dev.vconn.domain.http.HttpVersion;
import dev.vconn.domain.http2.hpack.HeaderField;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The mapping between an HTTP/2 stream's header lists and the HTTP/1.1 message its in-process connection carries
 * (docs/http2.md, "Stream to in-process connection"): request header lists are checked against RFC 9113, section 8
 * and written as an HTTP/1.1 request head; HTTP/1.1 response heads and trailers become header lists. Pure functions.
 */
final class Http2Mapping {

  /** Fields that are connection-specific in HTTP/1.1 and malformed in HTTP/2 (RFC 9113, section 8.2.2). */
  static final Set<String> CONNECTION_SPECIFIC =
      Set.of("connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade");

  /** Methods whose request without a body still says {@code Content-Length: 0} in HTTP/1.1 (RFC 9110, 8.6). */
  private static final Set<String> BODY_METHODS = Set.of("POST", "PUT", "PATCH");

  private Http2Mapping() {}

  /** A header list broke a rule of RFC 9113, section 8: a stream error of type PROTOCOL_ERROR. */
  static final class MalformedException extends Exception {
    private static final long serialVersionUID = 1L;

    MalformedException(String message) {
      super(message, null, false, false);
    }
  }

  /** How the request body travels on the in-process connection. */
  enum Framing {
    /** No body: the client ended the stream with the HEADERS frame. */
    NONE,
    /** The client gave content-length: the body is written as it is. */
    LENGTH,
    /** No content-length: the body is written chunked, request trailers as the chunked trailer section. */
    CHUNKED
  }

  /**
   * A checked request header list.
   *
   * @param method :method
   * @param scheme :scheme (null for CONNECT)
   * @param authority :authority, else the host field, else null
   * @param path :path (null for CONNECT)
   * @param fields the regular fields in order, cookies joined into one, host dropped
   * @param contentLength the content-length value, or -1
   */
  record Request(String method, String scheme, String authority, String path, List<HeaderField> fields,
      long contentLength) {}

  /**
   * Checks a request header list (RFC 9113, sections 8.2 and 8.3.1).
   *
   * @param list the decoded fields
   * @return the request
   * @throws MalformedException naming the rule broken
   */
  static Request request(List<HeaderField> list) throws MalformedException {
    String method = null;
    String scheme = null;
    String authority = null;
    String path = null;
    String host = null;
    long contentLength = -1;
    boolean regularSeen = false;
    StringBuilder cookie = null;
    List<HeaderField> fields = new ArrayList<>(list.size());
    for (HeaderField f : list) {
      String name = f.name();
      String value = f.value();
      checkValue(name, value);
      if (name.startsWith(":")) {
        if (regularSeen) {
          throw new MalformedException("pseudo-header " + name + " after a regular field (RFC 9113, section 8.3)");
        }
        switch (name) {
          case ":method" -> method = pseudo(name, method, value);
          case ":scheme" -> scheme = pseudo(name, scheme, value);
          case ":authority" -> authority = pseudo(name, authority, value);
          case ":path" -> path = pseudo(name, path, value);
          default -> throw new MalformedException("unknown or response pseudo-header " + name
              + " in a request (RFC 9113, section 8.3)");
        }
        continue;
      }
      regularSeen = true;
      checkName(name);
      if (CONNECTION_SPECIFIC.contains(name)) {
        throw new MalformedException("connection-specific field " + name + " (RFC 9113, section 8.2.2)");
      }
      switch (name) {
        case "te" -> {
          if (!value.equals("trailers")) {
            throw new MalformedException("te with a value other than \"trailers\" (RFC 9113, section 8.2.2)");
          }
        }
        case "host" -> {
          if (host != null) {
            throw new MalformedException("more than one host field");
          }
          host = value;
        }
        case "content-length" -> {
          long n = parseLength(value);
          if (contentLength >= 0 && n != contentLength) {
            throw new MalformedException("conflicting content-length values (RFC 9110, section 8.6)");
          }
          if (contentLength < 0) {
            fields.add(f);
          }
          contentLength = n;
        }
        case "cookie" -> {
          // RFC 9113, section 8.2.3: cookie crumbs are joined with "; " for HTTP/1.1.
          if (cookie == null) {
            cookie = new StringBuilder(value);
            fields.add(null);
          } else {
            cookie.append("; ").append(value);
          }
        }
        default -> fields.add(f);
      }
    }
    if (method == null) {
      throw new MalformedException("no :method pseudo-header (RFC 9113, section 8.3.1)");
    }
    checkToken(":method", method);
    if (method.equals("CONNECT")) {
      if (scheme != null || path != null || authority == null) {
        throw new MalformedException("CONNECT needs :authority and no :scheme or :path (RFC 9113, section 8.5)");
      }
    } else {
      if (scheme == null || path == null) {
        throw new MalformedException("no " + (scheme == null ? ":scheme" : ":path")
            + " pseudo-header (RFC 9113, section 8.3.1)");
      }
      checkPath(method, path);
      checkToken(":scheme", scheme);
    }
    if (authority != null) {
      checkAuthority(authority);
      if (host != null && !host.equalsIgnoreCase(authority)) {
        throw new MalformedException("host field differs from :authority (RFC 9113, section 8.3.1)");
      }
    } else if (host != null) {
      checkAuthority(host);
      authority = host;
    }
    if (cookie != null) {
      int i = fields.indexOf(null);
      fields.set(i, new HeaderField("cookie", cookie.toString()));
    }
    return new Request(method, scheme, authority, path, fields, contentLength);
  }

  /**
   * Checks a request trailer list: no pseudo-headers, no connection-specific fields.
   *
   * @param list the decoded fields
   * @return the trailer fields for a chunked trailer section
   * @throws MalformedException naming the rule broken
   */
  static HttpHeaders requestTrailers(List<HeaderField> list) throws MalformedException {
    HttpHeaders trailers = new HttpHeaders();
    for (HeaderField f : list) {
      checkValue(f.name(), f.value());
      if (f.name().startsWith(":")) {
        throw new MalformedException("pseudo-header " + f.name() + " in trailers (RFC 9113, section 8.1)");
      }
      checkName(f.name());
      if (CONNECTION_SPECIFIC.contains(f.name()) || f.name().equals("te")) {
        throw new MalformedException("connection-specific field " + f.name() + " (RFC 9113, section 8.2.2)");
      }
      trailers.add(f.name(), f.value());
    }
    return trailers;
  }

  /**
   * The framing of the request body.
   *
   * @param request the request
   * @param endStream whether the HEADERS frame ended the stream
   * @return how the body travels
   */
  static Framing framing(Request request, boolean endStream) {
    if (endStream) {
      return Framing.NONE;
    }
    return request.contentLength() >= 0 ? Framing.LENGTH : Framing.CHUNKED;
  }

  /**
   * The HTTP/1.1 request head: {@code :method :path HTTP/1.1}, Host from :authority, the fields in order, and the
   * framing field (Content-Length: 0 for POST, PUT and PATCH without a body; Transfer-Encoding: chunked for a body
   * of unknown length).
   *
   * @param request the request
   * @param framing the body's framing
   * @return the head's octets, ISO-8859-1
   */
  static byte[] requestHead(Request request, Framing framing) {
    StringBuilder sb = new StringBuilder(256);
    sb.append(request.method()).append(' ').append(request.path() == null ? request.authority() : request.path())
        .append(" HTTP/1.1\r\n");
    if (request.authority() != null) {
      sb.append("Host: ").append(request.authority()).append("\r\n");
    }
    boolean lengthSent = false;
    for (HeaderField f : request.fields()) {
      if (f.name().equals("te")) {
        continue; // hop-by-hop in HTTP/1.1; it only said the client accepts trailers
      }
      if (f.name().equals("content-length")) {
        lengthSent = true;
      }
      sb.append(f.name()).append(": ").append(f.value()).append("\r\n");
    }
    if (framing == Framing.CHUNKED) {
      sb.append("Transfer-Encoding: chunked\r\n");
    } else if (framing == Framing.NONE && !lengthSent && BODY_METHODS.contains(request.method())) {
      sb.append("Content-Length: 0\r\n");
    }
    sb.append("\r\n");
    return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * The header list of an HTTP/1.1 response head: {@code :status}, then the fields with lower-case names, without
   * connection-specific fields and those the Connection field names (RFC 9113, section 8.2.2).
   *
   * @param head the response head
   * @return the fields for HEADERS
   */
  static List<HeaderField> responseFields(HttpResponseHead head) {
    List<HeaderField> out = new ArrayList<>(head.headers().size() + 1);
    out.add(new HeaderField(":status", Integer.toString(head.status())));
    addFields(out, head.headers(), false);
    return out;
  }

  /**
   * The header list of a response's trailer section, without connection-specific and framing fields.
   *
   * @param trailers the trailer fields of the chunked body
   * @return the fields for the trailing HEADERS
   */
  static List<HeaderField> responseTrailers(HttpHeaders trailers) {
    List<HeaderField> out = new ArrayList<>(trailers.size());
    addFields(out, trailers, true);
    return out;
  }

  /**
   * Whether the in-process connection may carry another request after this response: HTTP/1.1 without
   * {@code Connection: close}, or HTTP/1.0 with {@code Connection: keep-alive}.
   *
   * @param head the final response head
   * @return true if the connection persists
   */
  static boolean keepAlive(HttpResponseHead head) {
    Set<String> tokens = head.headers().connectionTokens();
    if (tokens.contains("close")) {
      return false;
    }
    return head.version() == HttpVersion.HTTP_1_1 || tokens.contains("keep-alive");
  }

  private static void addFields(List<HeaderField> out, HttpHeaders headers, boolean trailers) {
    Set<String> named = headers.connectionTokens();
    for (HttpHeaders.Field f : headers) {
      String name = f.name().toLowerCase(Locale.ROOT);
      if (CONNECTION_SPECIFIC.contains(name) || name.equals("te") || named.contains(name)) {
        continue;
      }
      if (trailers && (name.equals("content-length") || name.equals("host"))) {
        continue;
      }
      out.add(new HeaderField(name, f.value()));
    }
  }

  private static String pseudo(String name, String previous, String value) throws MalformedException {
    if (previous != null) {
      throw new MalformedException("pseudo-header " + name + " more than once (RFC 9113, section 8.3)");
    }
    if (value.isEmpty()) {
      throw new MalformedException("empty " + name + " pseudo-header (RFC 9113, section 8.3.1)");
    }
    return value;
  }

  private static void checkName(String name) throws MalformedException {
    if (name.isEmpty()) {
      throw new MalformedException("empty field name (RFC 9113, section 8.2.1)");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c >= 'A' && c <= 'Z') {
        throw new MalformedException("upper-case field name " + name + " (RFC 9113, section 8.2.1)");
      }
      if (!isTchar(c)) {
        throw new MalformedException("field name " + name + " is not a token (RFC 9113, section 8.2.1)");
      }
    }
  }

  private static void checkValue(String name, String value) throws MalformedException {
    int n = value.length();
    for (int i = 0; i < n; i++) {
      char c = value.charAt(i);
      if (c == 0 || c == '\r' || c == '\n') {
        throw new MalformedException("field " + name + " holds NUL, CR or LF (RFC 9113, section 8.2.1)");
      }
      if (c < 0x20 && c != '\t' || c == 0x7f) {
        throw new MalformedException("field " + name + " holds a control character (RFC 9110, section 5.5)");
      }
    }
    if (n > 0 && isWhitespace(value.charAt(0)) || n > 0 && isWhitespace(value.charAt(n - 1))) {
      throw new MalformedException("field " + name + " starts or ends with whitespace (RFC 9113, section 8.2.1)");
    }
  }

  private static void checkToken(String name, String value) throws MalformedException {
    for (int i = 0; i < value.length(); i++) {
      if (!isTchar(value.charAt(i))) {
        throw new MalformedException(name + " is not a token (RFC 9110, section 5.6.2)");
      }
    }
  }

  private static void checkPath(String method, String path) throws MalformedException {
    if (path.equals("*")) {
      if (!method.equals("OPTIONS")) {
        throw new MalformedException(":path \"*\" is only for OPTIONS (RFC 9113, section 8.3.1)");
      }
      return;
    }
    if (path.charAt(0) != '/') {
      throw new MalformedException(":path must start with \"/\" (RFC 9113, section 8.3.1)");
    }
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c <= 0x20 || c >= 0x7f) {
        throw new MalformedException(":path holds a space or a non-visible character (RFC 9112, section 3.2)");
      }
    }
  }

  private static void checkAuthority(String authority) throws MalformedException {
    for (int i = 0; i < authority.length(); i++) {
      char c = authority.charAt(i);
      if (c <= 0x20 || c >= 0x7f || c == '@' || c == '/' || c == '?' || c == '#' || c == ',') {
        throw new MalformedException("authority holds a character not allowed in a host (RFC 9113, section 8.3.1)");
      }
    }
  }

  private static long parseLength(String value) throws MalformedException {
    if (value.isEmpty() || value.length() > 18) {
      throw new MalformedException("content-length is not a number (RFC 9110, section 8.6)");
    }
    long n = 0;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        throw new MalformedException("content-length is not a number (RFC 9110, section 8.6)");
      }
      n = n * 10 + (c - '0');
    }
    return n;
  }

  private static boolean isWhitespace(char c) {
    return c == ' ' || c == '\t';
  }

  private static boolean isTchar(char c) {
    if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
      return true;
    }
    return "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
  }
}
