package dev.vconn.plugin.http;

import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.http.HttpHeadParser;
import dev.vconn.domain.http.HttpHeaders;
import dev.vconn.domain.http.HttpLimits;
import dev.vconn.domain.http.HttpResponseHead;
import dev.vconn.domain.http.HttpVersion;
import java.io.ByteArrayOutputStream;
import java.util.Objects;

/**
 * Parses one HTTP/1.1 response out of an {@link IOBufferReader}, incrementally, as a client's read VIO delivers it:
 * the head (1xx interim responses skipped) with the state machine's own {@link HttpHeadParser}, then the body by
 * its framing with {@link BodyReader}. It consumes only the response's bytes, so a keep-alive connection's next
 * response stays in the buffer for the next parser. Not thread-safe: use it under the lock that guards the buffer.
 */
public final class ResponseParser {

  /**
   * A whole response.
   *
   * @param status the status
   * @param headers the header fields as received
   * @param body the decoded body (chunked framing removed)
   * @param keepAlive whether the connection may carry another request: HTTP/1.1 without {@code Connection: close},
   *     and a body that did not end with the connection
   */
  public record Response(int status, HttpHeaders headers, byte[] body, boolean keepAlive) {}

  /** The response is malformed, too large, or the connection ended before it did. */
  public static final class BadResponseException extends Exception {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is wrong
     */
    public BadResponseException(String message) {
      super(message);
    }
  }

  private final String method;
  private final long maxBody;
  private final HttpHeadParser parser;
  private final ByteArrayOutputStream body = new ByteArrayOutputStream();
  private HttpResponseHead head;
  private BodyReader bodyReader;

  /**
   * A parser for the response to one request.
   *
   * @param method the request's method (a HEAD response has no body)
   * @param limits the largest head accepted
   * @param maxBody the largest decoded body accepted
   */
  public ResponseParser(String method, HttpLimits limits, long maxBody) {
    this.method = Objects.requireNonNull(method, "method");
    this.parser = new HttpHeadParser(Objects.requireNonNull(limits, "limits"));
    this.maxBody = maxBody;
  }

  /**
   * The largest head this parser accepts: a reader's buffer needs a water mark above it, so that a head larger than
   * one block arrives whole.
   *
   * @return bytes
   */
  public int maxHeaderBytes() {
    return parser.limits().maxHeaderBytes();
  }

  /**
   * Takes what is available.
   *
   * @param in the connection's bytes; only the response's are consumed
   * @param endOfStream whether the connection has ended (no more bytes will come)
   * @return the response once complete, else null (call again when more bytes arrived)
   * @throws BadResponseException if the head or the body framing is bad, the body is over the limit, or the
   *     connection ended before the response did
   */
  public Response parse(IOBufferReader in, boolean endOfStream) throws BadResponseException {
    while (head == null) {
      HttpHeadParser.Result<HttpResponseHead> r = parser.parseResponse(in);
      if (r instanceof HttpHeadParser.Rejected<HttpResponseHead> rejected) {
        throw new BadResponseException("bad response head: " + rejected.reason());
      }
      if (!(r instanceof HttpHeadParser.Parsed<HttpResponseHead> parsed)) {
        if (endOfStream) {
          throw new BadResponseException("connection ended before a response");
        }
        return null;
      }
      if (!parsed.head().isInformational()) {
        head = parsed.head();
        try {
          bodyReader = BodyReader.forResponse(method, head);
        } catch (BodyReader.BadBodyException e) {
          throw new BadResponseException("bad response: " + e.getMessage());
        }
      }
    }
    boolean done;
    boolean endedWithConnection = false;
    try {
      done = bodyReader.read(in, body);
      if (body.size() > maxBody) {
        throw new BadResponseException("response body larger than " + maxBody + " bytes");
      }
      if (!done && endOfStream) {
        bodyReader.endOfStream(); // fine only for a body that ends with the connection
        done = true;
        endedWithConnection = true;
      }
    } catch (BodyReader.BadBodyException e) {
      throw new BadResponseException("bad response: " + e.getMessage());
    }
    if (!done) {
      return null;
    }
    boolean keepAlive = !endedWithConnection && head.version() == HttpVersion.HTTP_1_1
        && !head.headers().connectionTokens().contains("close");
    return new Response(head.status(), head.headers(), body.toByteArray(), keepAlive);
  }
}
