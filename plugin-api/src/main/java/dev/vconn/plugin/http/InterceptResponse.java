package dev.vconn.plugin.http;

import dev.vconn.domain.http.HttpHeaders;
import dev.vconn.domain.http.HttpStatus;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * What an intercept answers: a status, header fields and either a whole body (sent with Content-Length) or a
 * {@link BodySource} (sent chunked). The intercept adds the framing fields itself.
 *
 * @param status the status, 200..599
 * @param headers the header fields, without Content-Length and Transfer-Encoding
 * @param body the whole body, or null when {@code source} is set
 * @param source the streamed body, or null when {@code body} is set
 */
public record InterceptResponse(int status, HttpHeaders headers, byte[] body, BodySource source) {

  /**
   * Checks the components.
   *
   * @param status the status, 200..599
   * @param headers the header fields, without Content-Length and Transfer-Encoding
   * @param body the whole body, or null when {@code source} is set
   * @param source the streamed body, or null when {@code body} is set
   * @throws IllegalArgumentException if the status is out of range or not exactly one of body and source is set
   */
  public InterceptResponse {
    Objects.requireNonNull(headers, "headers");
    if (status < 200 || status > 599) {
      throw new IllegalArgumentException("status must be in 200..599, was " + status);
    }
    if ((body == null) == (source == null)) {
      throw new IllegalArgumentException("exactly one of body and source must be set");
    }
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
}
