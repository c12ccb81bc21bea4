package dev.vconn.plugin.http;

import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.http.BadMessageException;
import dev.vconn.domain.http.BodyDecoder;
import dev.vconn.domain.http.HttpHeaders;
import dev.vconn.domain.http.HttpResponseHead;
import java.io.ByteArrayOutputStream;

/**
 * Reads one HTTP/1.1 message body out of an {@link IOBufferReader} into a byte stream, incrementally: no body, a
 * Content-Length, chunked (trailers read and dropped) or until the connection ends. Plugins need it on both sides
 * of the proxy: an intercept reads the request body the proxy forwards, an in-process client reads the response.
 * The decoding is the state machine's own {@link BodyDecoder}; this class only collects the bytes.
 *
 * <p>Each {@link #read} call takes what is available, consumes the framing and the body bytes, and appends the
 * decoded bytes to the given stream; it never blocks and never looks past the end of the body, so bytes after it
 * stay in the buffer. Not thread-safe: use it under the continuation's lock that guards the buffer.
 */
public final class BodyReader {
  /** Trailer fields are read and dropped, up to this many bytes. */
  private static final int MAX_TRAILER_BYTES = 8192;

  private final BodyDecoder decoder;

  private BodyReader(BodyDecoder decoder) {
    this.decoder = decoder;
  }

  /** The body is malformed (bad chunk framing, or the connection ended before the body did). */
  public static final class BadBodyException extends Exception {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is wrong
     */
    public BadBodyException(String message) {
      super(message);
    }
  }

  /**
   * The body of a request with these header fields: chunked, Content-Length, or none.
   *
   * @param headers the request's fields
   * @return a reader for its body
   * @throws BadBodyException if Content-Length is invalid
   */
  public static BodyReader forRequest(HttpHeaders headers) throws BadBodyException {
    try {
      return new BodyReader(BodyDecoder.forRequest(headers, MAX_TRAILER_BYTES));
    } catch (BadMessageException e) {
      throw new BadBodyException(e.getMessage());
    }
  }

  /**
   * The body of a response: none for HEAD, 1xx, 204 and 304; else chunked, Content-Length, or until the end.
   *
   * @param method the request's method
   * @param head the response head
   * @return a reader for its body
   * @throws BadBodyException if Content-Length is invalid
   */
  public static BodyReader forResponse(String method, HttpResponseHead head) throws BadBodyException {
    try {
      return new BodyReader(BodyDecoder.forResponse(method, head, MAX_TRAILER_BYTES));
    } catch (BadMessageException e) {
      throw new BadBodyException(e.getMessage());
    }
  }

  /**
   * Takes what is available.
   *
   * @param in the connection's bytes; only the body's are consumed
   * @param out where the decoded body bytes are appended
   * @return whether the body is complete
   * @throws BadBodyException if the framing is bad
   */
  public boolean read(IOBufferReader in, ByteArrayOutputStream out) throws BadBodyException {
    try {
      decoder.decode(in, new StreamTarget(out));
    } catch (BadMessageException e) {
      throw new BadBodyException(e.getMessage());
    }
    return decoder.isDone();
  }

  /**
   * The connection ended.
   *
   * @throws BadBodyException unless the body ends with the connection
   */
  public void endOfStream() throws BadBodyException {
    try {
      decoder.endOfStream();
    } catch (BadMessageException e) {
      throw new BadBodyException(e.getMessage());
    }
  }

  /**
   * Whether the whole body was read.
   *
   * @return true once complete
   */
  public boolean isDone() {
    return decoder.isDone();
  }

  /** Copies decoded bytes out of the IOBuffer into the stream. */
  private record StreamTarget(ByteArrayOutputStream out) implements BodyDecoder.Target {
    @Override
    public long space() {
      return Long.MAX_VALUE;
    }

    @Override
    public void write(IOBufferReader from, long n) {
      byte[] chunk = new byte[(int) Math.min(n, 16 * 1024)];
      long left = n;
      while (left > 0) {
        int k = from.read(chunk, 0, (int) Math.min(chunk.length, left));
        out.write(chunk, 0, k);
        left -= k;
      }
    }
  }
}
