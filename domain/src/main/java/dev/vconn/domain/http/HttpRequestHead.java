package dev.vconn.domain.http;

import java.nio.charset.StandardCharsets;
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
    if (target.isEmpty() || !target.chars().allMatch(HttpSyntax::isVchar)) {
      throw new IllegalArgumentException("invalid request target: " + target);
    }
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
    return writeTo(new StringBuilder()).toString().getBytes(StandardCharsets.ISO_8859_1);
  }
}
