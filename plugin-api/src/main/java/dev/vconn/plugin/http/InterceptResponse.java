package dev.vconn.plugin.http;

import dev.vconn.domain.http.HttpHeaders;
import dev.vconn.domain.http.HttpStatus;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * What an intercept answers: a status, header fields and either a whole body (sent with Content-Length) or a
 * {@link BodySource}: sent with Content-Length when its length is declared ({@link #streamed(int, String,
 * BodySource, long)}), chunked when it is not. The intercept adds the framing fields itself.
 *
 * <p>A streamed body of declared length is held to it: the response ends after exactly {@code length} bytes (bytes a
 * source gives past it are not sent, and the source is not asked again), and a source that ends early makes the
 * intercept close its connection after the bytes it gave, so the proxy sees a body cut short (a client gets a 502
 * if nothing of the response was sent yet, otherwise a truncated response on a closed connection or a reset
 * HTTP/2 stream), never a complete-looking message. Both are a plugin's bug and are logged as warnings.
 *
 * @param status the status, 200..599
 * @param headers the header fields, without Content-Length and Transfer-Encoding
 * @param body the whole body, or null when {@code source} is set
 * @param source the streamed body, or null when {@code body} is set
 * @param length the declared length of the streamed body (sent as Content-Length), or -1 to send it chunked;
 *     -1 when {@code body} is set
 */
public record InterceptResponse(int status, HttpHeaders headers, byte[] body, BodySource source, long length) {

  /**
   * Checks the components.
   *
   * @param status the status, 200..599
   * @param headers the header fields, without Content-Length and Transfer-Encoding
   * @param body the whole body, or null when {@code source} is set
   * @param source the streamed body, or null when {@code body} is set
   * @param length the declared length of the streamed body, or -1 (chunked); -1 when {@code body} is set
   * @throws IllegalArgumentException if the status is out of range, not exactly one of body and source is set, or
   *     the length is below -1 or set for a whole body
   */
  public InterceptResponse {
    Objects.requireNonNull(headers, "headers");
    if (status < 200 || status > 599) {
      throw new IllegalArgumentException("status must be in 200..599, was " + status);
    }
    if ((body == null) == (source == null)) {
      throw new IllegalArgumentException("exactly one of body and source must be set");
    }
    if (length < -1) {
      throw new IllegalArgumentException("length must be -1 (chunked) or a byte count, was " + length);
    }
    if (body != null && length != -1) {
      throw new IllegalArgumentException("length is for a streamed body; a whole body's length is its array's");
    }
  }

  /**
   * A response with a whole body or a chunked streamed body (no declared length).
   *
   * @param status the status, 200..599
   * @param headers the header fields, without Content-Length and Transfer-Encoding
   * @param body the whole body, or null when {@code source} is set
   * @param source the streamed body (sent chunked), or null when {@code body} is set
   * @throws IllegalArgumentException if the status is out of range or not exactly one of body and source is set
   */
  public InterceptResponse(int status, HttpHeaders headers, byte[] body, BodySource source) {
    this(status, headers, body, source, -1);
  }

  /**
   * A response with a whole body.
   *
   * @param status the status
   * @param contentType the Content-Type
   * @param body the body
   * @return the response
   */
  public static InterceptResponse of(int status, String contentType, byte[] body) {
    return new InterceptResponse(status, new HttpHeaders().add("Content-Type", contentType), body, null);
  }

  /**
   * A UTF-8 text response.
   *
   * @param status the status
   * @param text the body
   * @return the response
   */
  public static InterceptResponse text(int status, String text) {
    return of(status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A JSON response.
   *
   * @param json the body, a JSON document
   * @return a 200 response
   */
  public static InterceptResponse json(String json) {
    return of(200, "application/json", json.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * An error: a text body of the status, its reason and what went wrong.
   *
   * @param status a 4xx or 5xx status
   * @param message what was wrong, one line
   * @return the response
   */
  public static InterceptResponse error(int status, String message) {
    return text(status, status + " " + HttpStatus.reason(status) + ": " + message + "\n");
  }

  /**
   * A response whose body is streamed, chunked.
   *
   * @param status the status
   * @param contentType the Content-Type
   * @param source where the body comes from
   * @return the response
   */
  public static InterceptResponse streamed(int status, String contentType, BodySource source) {
    return new InterceptResponse(status, new HttpHeaders().add("Content-Type", contentType), null, source);
  }

  /**
   * A response whose body is streamed with a declared length, sent with Content-Length (no chunk framing for the
   * proxy or an HTTP/2 client's stream to undo). The response ends after exactly {@code length} bytes; a source that
   * ends early cuts the response short (see the class description).
   *
   * @param status the status
   * @param contentType the Content-Type
   * @param source where the body comes from: exactly {@code length} bytes
   * @param length the body's length in bytes, 0 or more
   * @return the response
   * @throws IllegalArgumentException if the length is negative
   */
  public static InterceptResponse streamed(int status, String contentType, BodySource source, long length) {
    if (length < 0) {
      throw new IllegalArgumentException("a declared length must be 0 or more, was " + length);
    }
    return new InterceptResponse(status, new HttpHeaders().add("Content-Type", contentType), null, source, length);
  }
}
