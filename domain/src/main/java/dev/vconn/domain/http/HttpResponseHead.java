package dev.vconn.domain.http;

import dev.vconn.domain.buffer.IOBuffer;
import java.util.Objects;

/**
 * The head of an HTTP/1.x response: status line and header fields.
 *
 * <p>The record is shallowly immutable: {@link #headers()} is the mutable map it was built with.
 *
 * @param version the protocol version
 * @param status the status code, 100 to 599
 * @param reason the reason phrase, possibly empty, possibly with spaces
 * @param headers the header fields
 */
public record HttpResponseHead(HttpVersion version, int status, String reason, HttpHeaders headers) {

  /**
   * Checks the components.
   *
   * @throws NullPointerException if a component is null
   * @throws IllegalArgumentException if the status is outside 100..599 or the reason holds a control character
   */
  public HttpResponseHead {
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(headers, "headers");
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException("status must be in 100..599, was " + status);
    }
    if (!HttpSyntax.isFieldValue(reason)) {
      throw new IllegalArgumentException("reason phrase holds a control character");
    }
  }

  /**
   * Tells whether this is an interim (1xx) response, which another response follows.
   *
   * @return true for status 100 to 199
   */
  public boolean isInformational() {
    return status < 200;
  }

  /**
   * Appends the wire form: status line, header fields and the empty line, each ended by CRLF.
   *
   * @param out where to write
   * @return {@code out}
   */
  public StringBuilder writeTo(StringBuilder out) {
    out.append(version.text()).append(' ').append(status).append(' ').append(reason).append("\r\n");
    headers.writeTo(out);
    return out.append("\r\n");
  }

  /**
   * The wire form as ISO-8859-1 bytes.
   *
   * @return the bytes of {@link #writeTo(StringBuilder)} (a character beyond ISO-8859-1 as {@code '?'})
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
    return version.text().length() + 5 + reason.length();
  }

  /** Writes the start line, without its CRLF, at the front of {@code out}. */
  private void writeStartLine(byte[] out) {
    String versionText = version.text();
    int at = HttpHeaders.latin1(versionText, out, 0);
    out[at++] = ' ';
    out[at++] = (byte) ('0' + status / 100);
    out[at++] = (byte) ('0' + status / 10 % 10);
    out[at++] = (byte) ('0' + status % 10);
    out[at++] = ' ';
    HttpHeaders.latin1(reason, out, at);
  }
}
