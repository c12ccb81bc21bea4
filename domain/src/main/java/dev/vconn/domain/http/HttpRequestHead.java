package dev.vconn.domain.http;

import java.util.Objects;

/**
 * The head of an HTTP/1.x request: request line and header fields.
 *
 * <p>The record is shallowly immutable: {@link #headers()} is the mutable map it was built with.
 *
 * @param method the method token, such as {@code GET}
 * @param target the request target as received, such as {@code /index.html}
 * @param version the protocol version
 * @param headers the header fields
 */
public record HttpRequestHead(String method, String target, HttpVersion version, HttpHeaders headers) {

  /**
   * Checks the components.
   *
   * @throws NullPointerException if a component is null
   * @throws IllegalArgumentException if the method is not a token or the target is empty or holds anything but
   *     visible US-ASCII characters
   */
  public HttpRequestHead {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(headers, "headers");
    if (!HttpSyntax.isToken(method)) {
      throw new IllegalArgumentException("method is not a token: " + method);
    }
    if (target.isEmpty() || !allVchar(target)) {
      throw new IllegalArgumentException("invalid request target: " + target);
    }
  }

  /** A loop, not a stream: every head of every transaction is checked. */
  private static boolean allVchar(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (!HttpSyntax.isVchar(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Appends the wire form: request line, header fields and the empty line, each ended by CRLF.
   *
   * @param out where to write
   * @return {@code out}
   */
  public StringBuilder writeTo(StringBuilder out) {
    out.append(method).append(' ').append(target).append(' ').append(version.text()).append("\r\n");
    headers.writeTo(out);
    return out.append("\r\n");
  }

  /**
   * The wire form as ISO-8859-1 bytes.
   *
   * @return the bytes of {@link #writeTo(StringBuilder)}
   */
  public byte[] toBytes() {
    String v = version.text();
    byte[] out = new byte[method.length() + target.length() + v.length() + 4 + headers.wireLength() + 2];
    int at = HttpHeaders.putLatin1(out, 0, method);
    out[at++] = ' ';
    at = HttpHeaders.putLatin1(out, at, target);
    out[at++] = ' ';
    at = HttpHeaders.putLatin1(out, at, v);
    out[at++] = '\r';
    out[at++] = '\n';
    at = headers.writeTo(out, at);
    out[at++] = '\r';
    out[at] = '\n';
    return out;
  }
}
