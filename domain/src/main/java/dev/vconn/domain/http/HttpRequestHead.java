package dev.vconn.domain.http;

import dev.vconn.domain.buffer.IOBuffer;
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
    if (target.isEmpty() || !isVisible(target)) {
      throw new IllegalArgumentException("invalid request target: " + target);
    }
  }

  /** Whether every character of {@code s} is a visible US-ASCII character (a loop: no stream per request). */
  private static boolean isVisible(String s) {
    for (int i = 0, n = s.length(); i < n; i++) {
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
    byte[] out = headers.headBytes(startLineLength());
    writeStartLine(out);
    return out;
  }

  /**
   * Writes the wire form ({@link #toBytes()}) at the end of {@code out}, built in a reused per-thread array rather
   * than a new one per head: what the HTTP session sends a head with.
   *
   * @return how many bytes were written
   */
  long writeTo(IOBuffer out) {
    int startLineLength = startLineLength();
    int length = headers.headLength(startLineLength);
    byte[] bytes = HttpHeaders.scratch(length);
    writeStartLine(bytes);
    headers.fillHead(bytes, startLineLength);
    return out.write(bytes, 0, length);
  }

  private int startLineLength() {
    return method.length() + 1 + target.length() + 1 + version.text().length();
  }

  /** Writes the start line, without its CRLF, at the front of {@code out}. */
  private void writeStartLine(byte[] out) {
    String versionText = version.text();
    int at = HttpHeaders.latin1(method, out, 0);
    out[at++] = ' ';
    at = HttpHeaders.latin1(target, out, at);
    out[at++] = ' ';
    HttpHeaders.latin1(versionText, out, at);
  }
}
