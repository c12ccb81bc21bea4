package dev.vconn.app.http;

import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.http.HttpHeaders;
import dev.vconn.domain.http.HttpResponseHead;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;

/**
 * Reads one HTTP/1.1 message body out of an {@link IOBufferReader}, incrementally: no body, a Content-Length, chunked
 * (trailers read and dropped) or until the connection ends. Plugins need it on both sides of the proxy: an intercept
 * reads the request body the proxy forwards, an in-process client reads the response. (The state machine's own
 * decoder is internal to {@code dev.vconn.domain.http}.)
 *
 * <p>Each {@link #read} call takes what is available, consumes the framing and the body bytes, and appends the
 * decoded bytes to the given stream; it never blocks and never looks past the end of the body, so bytes after it
 * stay in the buffer. Not thread-safe: use it under the continuation's lock that guards the buffer.
 */
public abstract class BodyReader {
  private static final int MAX_CHUNK_LINE = 1024;
  private static final int MAX_TRAILER_BYTES = 8192;

  private BodyReader() {}

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
   * The body a request head announces: chunked, a Content-Length, or none.
   *
   * @param headers the request's header fields
   * @return a reader for that body
   * @throws BadBodyException if the Content-Length is invalid
   */
  public static BodyReader forRequest(HttpHeaders headers) throws BadBodyException {
    if (headers.isChunked()) {
      return new Chunked();
    }
    return new Fixed(length(headers).orElse(0));
  }

  /**
   * The body a response head announces for a request with {@code method}: none for HEAD, 1xx, 204 and 304; then
   * chunked, a Content-Length, or until the connection ends.
   *
   * @param method the request method
   * @param head the response head
   * @return a reader for that body
   * @throws BadBodyException if the Content-Length is invalid
   */
  public static BodyReader forResponse(String method, HttpResponseHead head) throws BadBodyException {
    int s = head.status();
    if (method.equals("HEAD") || s < 200 || s == 204 || s == 304) {
      return new Fixed(0);
    }
    if (head.headers().isChunked()) {
      return new Chunked();
    }
    OptionalLong length = length(head.headers());
    return length.isPresent() ? new Fixed(length.getAsLong()) : new UntilClose();
  }

  private static OptionalLong length(HttpHeaders headers) throws BadBodyException {
    try {
      return headers.contentLength();
    } catch (IllegalStateException e) {
      throw new BadBodyException(e.getMessage());
    }
  }

  /**
   * Decodes what is available.
   *
   * @param in where the message bytes are; framing and body bytes are consumed
   * @param out where the decoded body bytes go
   * @return true once the whole body was read
   * @throws BadBodyException if the framing is malformed
   */
  public abstract boolean read(IOBufferReader in, ByteArrayOutputStream out) throws BadBodyException;

  /**
   * The connection ended (EOS): checks that the body is complete.
   *
   * @throws BadBodyException if the body was cut short (for every kind but until-close)
   */
  public abstract void endOfStream() throws BadBodyException;

  /**
   * Whether the whole body was read.
   *
   * @return true when complete
   */
  public abstract boolean isDone();

  private static void copy(IOBufferReader in, ByteArrayOutputStream out, long n) {
    byte[] chunk = new byte[(int) Math.min(n, 16 * 1024)];
    long left = n;
    while (left > 0) {
      int k = in.read(chunk, 0, (int) Math.min(chunk.length, left));
      out.write(chunk, 0, k);
      left -= k;
    }
  }

  private static final class Fixed extends BodyReader {
    private long remaining;

    Fixed(long length) {
      remaining = length;
    }

    @Override
    public boolean read(IOBufferReader in, ByteArrayOutputStream out) {
      long n = Math.min(remaining, in.readAvail());
      copy(in, out, n);
      remaining -= n;
      return remaining == 0;
    }

    @Override
    public void endOfStream() throws BadBodyException {
      if (remaining > 0) {
        throw new BadBodyException("connection ended " + remaining + " bytes before the end of the body");
      }
    }

    @Override
    public boolean isDone() {
      return remaining == 0;
    }
  }

  private static final class UntilClose extends BodyReader {
    private boolean ended;

    @Override
    public boolean read(IOBufferReader in, ByteArrayOutputStream out) {
      copy(in, out, in.readAvail());
      return ended;
    }

    @Override
    public void endOfStream() {
      ended = true;
    }

    @Override
    public boolean isDone() {
      return ended;
    }
  }

  /** RFC 9112 §7.1: size line (extensions ignored), data, CRLF; a zero size, trailers, an empty line. */
  private static final class Chunked extends BodyReader {
    private enum State { SIZE, DATA, DATA_END, TRAILERS, DONE }

    private State state = State.SIZE;
    private long remaining;
    private int trailerBytes;

    @Override
    public boolean read(IOBufferReader in, ByteArrayOutputStream out) throws BadBodyException {
      while (true) {
        switch (state) {
          case SIZE -> {
            String line = line(in, MAX_CHUNK_LINE);
            if (line == null) {
              return false;
            }
            remaining = chunkSize(line);
            state = remaining == 0 ? State.TRAILERS : State.DATA;
          }
          case DATA -> {
            long n = Math.min(remaining, in.readAvail());
            if (n == 0) {
              return false;
            }
            copy(in, out, n);
            remaining -= n;
            if (remaining == 0) {
              state = State.DATA_END;
            }
          }
          case DATA_END -> {
            String line = line(in, 1);
            if (line == null) {
              return false;
            }
            if (!line.isEmpty()) {
              throw new BadBodyException("chunk data is not followed by CRLF");
            }
            state = State.SIZE;
          }
          case TRAILERS -> {
            String line = line(in, MAX_TRAILER_BYTES);
            if (line == null) {
              return false;
            }
            trailerBytes += line.length() + 2;
            if (trailerBytes > MAX_TRAILER_BYTES) {
              throw new BadBodyException("chunked trailers exceed " + MAX_TRAILER_BYTES + " bytes");
            }
            if (line.isEmpty()) {
              state = State.DONE;
            }
          }
          case DONE -> {
            return true;
          }
          default -> throw new IllegalStateException(state.toString());
        }
      }
    }

    private static long chunkSize(String line) throws BadBodyException {
      int semi = line.indexOf(';');
      String hex = (semi < 0 ? line : line.substring(0, semi)).strip();
      if (hex.isEmpty() || hex.length() > 15) {
        throw new BadBodyException("bad chunk size line");
      }
      for (int i = 0; i < hex.length(); i++) {
        if (Character.digit(hex.charAt(i), 16) < 0) {
          throw new BadBodyException("bad chunk size line");
        }
      }
      return Long.parseLong(hex, 16);
    }

    /**
     * Takes one line ending in LF (a CR before it is dropped), consuming it with its end; null if no complete line
     * is there yet (nothing consumed).
     */
    private static String line(IOBufferReader in, int max) throws BadBodyException {
      long avail = in.readAvail();
      long limit = Math.min(avail, max + 2L);
      for (long i = 0; i < limit; i++) {
        if (in.byteAt(i) == '\n') {
          byte[] b = new byte[(int) i];
          in.read(b, 0, b.length);
          in.consume(1);
          int len = b.length > 0 && b[b.length - 1] == '\r' ? b.length - 1 : b.length;
          return new String(b, 0, len, StandardCharsets.ISO_8859_1);
        }
      }
      if (avail >= max + 2L) {
        throw new BadBodyException("chunk framing line longer than " + max + " bytes");
      }
      return null;
    }

    @Override
    public void endOfStream() throws BadBodyException {
      if (state != State.DONE) {
        throw new BadBodyException("connection ended in the middle of a chunked body");
      }
    }

    @Override
    public boolean isDone() {
      return state == State.DONE;
    }
  }
}
