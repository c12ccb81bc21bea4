package dev.vconn.domain.http;

import dev.vconn.domain.buffer.IOBufferReader;
import java.util.Arrays;

/**
 * Finds one message body in a connection's bytes and moves it, decoded, to a {@link Target}: no body, a fixed
 * Content-Length, chunked (RFC 9112 §7.1; extensions held to the grammar and ignored, trailer fields parsed like head
 * fields and kept for {@link #trailers()}) or until the connection closes. The proxy streams every body through one;
 * plugins that serve or fetch HTTP over VConns (intercepts, in-process clients) use the same decoder instead of
 * writing their own.
 *
 * <p>A decoder consumes exactly the body's bytes from its input: whatever follows (a pipelined message) stays in
 * the reader. It keeps its state between calls, so input may arrive in pieces of any size.
 */
public abstract class BodyDecoder {

  /** Where decoded body bytes go. */
  public interface Target {

    /**
     * How many more bytes the target takes now; the decoder moves no more than this per call.
     *
     * @return the room, {@code Long.MAX_VALUE} for no limit
     */
    long space();

    /**
     * Takes {@code n} decoded bytes from the front of {@code from}, consuming them.
     *
     * @param from where the bytes are
     * @param n how many, at most {@link #space()}
     */
    void write(IOBufferReader from, long n);
  }

  BodyDecoder() {}

  /**
   * A message without a body.
   *
   * @return a decoder that is done at once
   */
  public static BodyDecoder none() {
    return new Fixed(0);
  }

  /**
   * A body of exactly {@code length} bytes (Content-Length).
   *
   * @param length the body length, {@code >= 0}
   * @return the decoder
   */
  public static BodyDecoder fixed(long length) {
    if (length < 0) {
      throw new IllegalArgumentException("length must be >= 0, was " + length);
    }
    return new Fixed(length);
  }

  /**
   * A chunked body with no limit on the number of trailer fields.
   *
   * @param maxTrailerBytes how many bytes the trailer section (its field lines and the empty line that ends it) may
   *     have at most
   * @param badStatus the status bad framing is reported with (400 for a request, 502 for a response)
   * @return the decoder
   */
  public static BodyDecoder chunked(int maxTrailerBytes, int badStatus) {
    return chunked(maxTrailerBytes, Integer.MAX_VALUE, badStatus);
  }

  /**
   * A chunked body. A trailer section over either limit is reported like an oversized head: 431 for a request
   * ({@code badStatus} 400), {@code badStatus} otherwise.
   *
   * @param maxTrailerBytes how many bytes the trailer section (its field lines and the empty line that ends it) may
   *     have at most
   * @param maxTrailerFields how many trailer fields it may have at most
   * @param badStatus the status bad framing is reported with (400 for a request, 502 for a response)
   * @return the decoder
   */
  public static BodyDecoder chunked(int maxTrailerBytes, int maxTrailerFields, int badStatus) {
    return new Chunked(maxTrailerBytes, maxTrailerFields, badStatus);
  }

  /**
   * A body that ends when the connection does (a response without framing).
   *
   * @return the decoder
   */
  public static BodyDecoder untilClose() {
    return new UntilClose();
  }

  /**
   * The body of a request with these header fields (RFC 9112 §6.3): chunked, Content-Length, or none.
   *
   * @param headers the request's fields
   * @param maxTrailerBytes the trailer limit of a chunked body
   * @return the decoder
   * @throws BadMessageException (400) if Content-Length is invalid or conflicting
   */
  public static BodyDecoder forRequest(HttpHeaders headers, int maxTrailerBytes) throws BadMessageException {
    return forRequest(headers, maxTrailerBytes, Integer.MAX_VALUE);
  }

  /**
   * The body of a request, with a chunked body's trailer section held to the head limits: at most
   * {@link HttpLimits#maxHeaderBytes()} bytes and {@link HttpLimits#maxHeaderCount()} fields, else 431.
   *
   * @param headers the request's fields
   * @param limits the limits of heads, applied to the trailer section
   * @return the decoder
   * @throws BadMessageException (400) if Content-Length is invalid or conflicting
   */
  public static BodyDecoder forRequest(HttpHeaders headers, HttpLimits limits) throws BadMessageException {
    return forRequest(headers, limits.maxHeaderBytes(), limits.maxHeaderCount());
  }

  private static BodyDecoder forRequest(HttpHeaders headers, int maxTrailerBytes, int maxTrailerFields)
      throws BadMessageException {
    if (headers.isChunked()) {
      return chunked(maxTrailerBytes, maxTrailerFields, 400);
    }
    long length = contentLength(headers, 400);
    return length <= 0 ? none() : fixed(length);
  }

  /**
   * The body of a response (RFC 9112 §6.3): none for HEAD requests and 1xx, 204 and 304 responses, else chunked,
   * Content-Length, or until the connection closes.
   *
   * @param requestMethod the method of the request it answers
   * @param head the response head
   * @param maxTrailerBytes the trailer limit of a chunked body
   * @return the decoder
   * @throws BadMessageException (502) if Content-Length is invalid or conflicting
   */
  public static BodyDecoder forResponse(String requestMethod, HttpResponseHead head, int maxTrailerBytes)
      throws BadMessageException {
    return forResponse(requestMethod, head, maxTrailerBytes, Integer.MAX_VALUE);
  }

  /**
   * The body of a response, with a chunked body's trailer section held to the head limits: at most
   * {@link HttpLimits#maxHeaderBytes()} bytes and {@link HttpLimits#maxHeaderCount()} fields, else 502.
   *
   * @param requestMethod the method of the request it answers
   * @param head the response head
   * @param limits the limits of heads, applied to the trailer section
   * @return the decoder
   * @throws BadMessageException (502) if Content-Length is invalid or conflicting
   */
  public static BodyDecoder forResponse(String requestMethod, HttpResponseHead head, HttpLimits limits)
      throws BadMessageException {
    return forResponse(requestMethod, head, limits.maxHeaderBytes(), limits.maxHeaderCount());
  }

  private static BodyDecoder forResponse(String requestMethod, HttpResponseHead head, int maxTrailerBytes,
      int maxTrailerFields) throws BadMessageException {
    int s = head.status();
    if (requestMethod.equals("HEAD") || s < 200 || s == 204 || s == 304) {
      return none();
    }
    if (head.headers().isChunked()) {
      return chunked(maxTrailerBytes, maxTrailerFields, 502);
    }
    long length = contentLength(head.headers(), 502);
    return length < 0 ? untilClose() : fixed(length);
  }

  private static long contentLength(HttpHeaders headers, int badStatus) throws BadMessageException {
    try {
      return headers.contentLengthOrNegative();
    } catch (IllegalStateException e) {
      throw new BadMessageException(badStatus, e.getMessage());
    }
  }

  /**
   * Moves what is available, up to the target's space, from {@code in} to {@code target}.
   *
   * @param in the connection's bytes; only the body's are consumed
   * @param target where the decoded bytes go
   * @return the number of input bytes consumed, framing included
   * @throws BadMessageException if the framing is bad
   */
  public abstract long decode(IOBufferReader in, Target target) throws BadMessageException;

  /**
   * Whether the whole body has been decoded.
   *
   * @return true once the body ended
   */
  public abstract boolean isDone();

  /**
   * The connection ended: the end of a close-delimited body, a truncated body otherwise.
   *
   * @throws BadMessageException (502) if the body was not complete
   */
  public abstract void endOfStream() throws BadMessageException;

  /**
   * The trailer fields of a chunked body, as received, once the body is done (RFC 9110 §6.5); empty before that and
   * for every other body. The caller decides which of them travel on (docs/http.md, "Trailers").
   *
   * @return the trailer fields, a copy the caller may change
   */
  public HttpHeaders trailers() {
    return new HttpHeaders();
  }

  /**
   * Whether this is the chunked framing: the only one that carries trailer fields (the proxy asks the others for
   * none) and the one its message's head declared with {@code Transfer-Encoding: chunked}.
   */
  boolean isChunkedFraming() {
    return false;
  }

  /**
   * Whether the body ends only with the connection.
   *
   * @return true for {@link #untilClose()}
   */
  public boolean isCloseDelimited() {
    return false;
  }

  /** The bytes a Content-Length body has still to decode; -1 for every other body (chunked, until close). */
  long fixedLength() {
    return -1;
  }

  private static final class Fixed extends BodyDecoder {
    private long remaining;

    Fixed(long length) {
      remaining = length;
    }

    @Override
    long fixedLength() {
      return remaining;
    }

    @Override
    public long decode(IOBufferReader in, Target sink) {
      long n = Math.min(remaining, Math.min(in.readAvail(), sink.space()));
      sink.write(in, n);
      remaining -= n;
      return n;
    }

    @Override
    public boolean isDone() {
      return remaining == 0;
    }

    @Override
    public void endOfStream() throws BadMessageException {
      if (remaining > 0) {
        throw new BadMessageException(502, "connection closed " + remaining + " bytes before the end of the body");
      }
    }
  }

  private static final class UntilClose extends BodyDecoder {
    private boolean done;

    @Override
    public long decode(IOBufferReader in, Target sink) {
      long n = Math.min(in.readAvail(), sink.space());
      sink.write(in, n);
      return n;
    }

    @Override
    public boolean isDone() {
      return done;
    }

    @Override
    public void endOfStream() {
      done = true;
    }

    @Override
    public boolean isCloseDelimited() {
      return true;
    }
  }

  /** Chunked decoding, byte by byte for the framing and by reference for the data. */
  private static final class Chunked extends BodyDecoder {
    private static final int MAX_SIZE_LINE = 1024;

    private enum State {
      SIZE, SIZE_WS,
      // chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ), RFC 9112 §7.1.1
      EXT_NAME_START, EXT_NAME, EXT_AFTER_NAME, EXT_VALUE_START, EXT_TOKEN, EXT_QUOTED, EXT_QUOTED_PAIR,
      EXT_AFTER_VALUE,
      SIZE_LF, DATA, DATA_END, TRAILER, DONE
    }

    private final int maxTrailerBytes;
    private final int maxTrailerFields;
    private final int badStatus;
    private final HttpHeaders trailers = new HttpHeaders();
    /** The trailer field line being read, without its line end; grows up to the trailer limit. */
    private byte[] trailerLine = new byte[0];
    private int trailerLineLength;
    private State state = State.SIZE;
    private long chunkRemaining;
    private int sizeDigits;
    private int lineBytes;
    private int trailerBytes;
    private boolean sawCr;

    Chunked(int maxTrailerBytes, int maxTrailerFields, int badStatus) {
      this.maxTrailerBytes = maxTrailerBytes;
      this.maxTrailerFields = maxTrailerFields;
      this.badStatus = badStatus;
    }

    @Override
    public long decode(IOBufferReader in, Target sink) throws BadMessageException {
      long consumed = 0;
      while (state != State.DONE && in.readAvail() > 0) {
        if (state == State.DATA) {
          long n = Math.min(chunkRemaining, Math.min(in.readAvail(), sink.space()));
          if (n == 0) {
            break; // the sink is full
          }
          sink.write(in, n);
          consumed += n;
          chunkRemaining -= n;
          if (chunkRemaining == 0) {
            state = State.DATA_END;
            sawCr = false;
          }
          continue;
        }
        byte b = in.byteAt(0);
        in.consume(1);
        consumed++;
        step(b);
      }
      return consumed;
    }

    private void step(byte b) throws BadMessageException {
      if (++lineBytes > MAX_SIZE_LINE && state != State.TRAILER && state != State.DATA_END) {
        throw bad("chunk size line too long");
      }
      switch (state) {
        case SIZE -> {
          int digit = Character.digit(b, 16);
          if (digit >= 0 && b < 0x80) {
            if (++sizeDigits > 15) {
              throw bad("chunk size too large");
            }
            chunkRemaining = chunkRemaining * 16 + digit;
          } else if (sizeDigits == 0) {
            throw bad("chunk size missing");
          } else {
            afterSize(b);
          }
        }
        case SIZE_WS -> afterSize(b);
        case EXT_NAME_START, EXT_NAME, EXT_AFTER_NAME, EXT_VALUE_START, EXT_TOKEN, EXT_QUOTED, EXT_QUOTED_PAIR,
            EXT_AFTER_VALUE -> extension(b & 0xff);
        case SIZE_LF -> {
          if (b != '\n') {
            throw bad("CR not followed by LF in chunk size line");
          }
          sizeLineDone();
        }
        case DATA_END -> {
          if (b == '\r' && !sawCr) {
            sawCr = true;
          } else if (b == '\n') {
            startSizeLine();
          } else {
            throw bad("chunk data not followed by CRLF");
          }
        }
        case TRAILER -> trailer(b);
        default -> throw new IllegalStateException("chunked decoder in state " + state);
      }
    }

    /** After the size digits: optional whitespace, then an extension or the line end. */
    private void afterSize(byte b) throws BadMessageException {
      switch (b) {
        case ' ', '\t' -> state = State.SIZE_WS;
        case ';' -> state = State.EXT_NAME_START;
        case '\r' -> state = State.SIZE_LF;
        case '\n' -> sizeLineDone();
        default -> throw bad("invalid character after chunk size");
      }
    }

    /**
     * One byte of the chunk extensions, held to the RFC 9112 grammar: a CR or LF ends the line only outside a
     * quoted string and may not appear inside one, so {@code 5;x="a<CR><LF>b"} is rejected rather than read one way
     * here and another by the next parser on the path (docs/http.md, "What the proxy normalises and rejects").
     */
    private void extension(int c) throws BadMessageException {
      boolean ws = c == ' ' || c == '\t';
      boolean lineEnd = c == '\r' || c == '\n';
      switch (state) {
        case EXT_NAME_START -> {
          if (HttpSyntax.isTchar(c)) {
            state = State.EXT_NAME;
          } else if (!ws) {
            throw bad("chunk extension without a name");
          }
        }
        case EXT_NAME, EXT_AFTER_NAME -> {
          if (state == State.EXT_NAME && HttpSyntax.isTchar(c)) {
            return;
          }
          if (ws) {
            state = State.EXT_AFTER_NAME;
          } else if (c == '=') {
            state = State.EXT_VALUE_START;
          } else if (c == ';') {
            state = State.EXT_NAME_START;
          } else if (lineEnd) {
            extensionLineEnd(c);
          } else {
            throw bad("invalid character in a chunk extension name");
          }
        }
        case EXT_VALUE_START -> {
          if (c == '"') {
            state = State.EXT_QUOTED;
          } else if (HttpSyntax.isTchar(c)) {
            state = State.EXT_TOKEN;
          } else if (!ws) {
            throw bad("chunk extension without a value");
          }
        }
        case EXT_TOKEN, EXT_AFTER_VALUE -> {
          if (state == State.EXT_TOKEN && HttpSyntax.isTchar(c)) {
            return;
          }
          if (ws) {
            state = State.EXT_AFTER_VALUE;
          } else if (c == ';') {
            state = State.EXT_NAME_START;
          } else if (lineEnd) {
            extensionLineEnd(c);
          } else {
            throw bad("invalid character after a chunk extension value");
          }
        }
        case EXT_QUOTED -> {
          if (c == '"') {
            state = State.EXT_AFTER_VALUE;
          } else if (c == '\\') {
            state = State.EXT_QUOTED_PAIR;
          } else if (!HttpSyntax.isFieldValueChar(c)) {
            throw bad(lineEnd ? "CR or LF inside a quoted chunk extension" : "control character in chunk extension");
          }
        }
        case EXT_QUOTED_PAIR -> {
          if (!HttpSyntax.isFieldValueChar(c)) {
            throw bad(lineEnd ? "CR or LF inside a quoted chunk extension" : "control character in chunk extension");
          }
          state = State.EXT_QUOTED;
        }
        default -> throw new IllegalStateException("chunked decoder in state " + state);
      }
    }

    private void extensionLineEnd(int c) {
      if (c == '\r') {
        state = State.SIZE_LF;
      } else {
        sizeLineDone();
      }
    }

    private void startSizeLine() {
      state = State.SIZE;
      sizeDigits = 0;
      chunkRemaining = 0;
      lineBytes = 0;
      sawCr = false;
    }

    private void sizeLineDone() {
      lineBytes = 0;
      sawCr = false;
      if (chunkRemaining == 0) {
        state = State.TRAILER;
        trailerBytes = 0;
      } else {
        state = State.DATA;
      }
    }

    private void trailer(byte b) throws BadMessageException {
      if (++trailerBytes > maxTrailerBytes) {
        throw overLimit("trailer section larger than " + maxTrailerBytes + " bytes");
      }
      if (sawCr && b != '\n') {
        throw bad("bare CR in trailer");
      }
      if (b == '\r') {
        sawCr = true;
      } else if (b == '\n') {
        if (trailerLineLength == 0) {
          state = State.DONE; // the empty line that ends the trailer section
        } else {
          trailerField();
        }
        trailerLineLength = 0;
        sawCr = false;
      } else {
        if (trailerLineLength == trailerLine.length) {
          int grown = Math.max(64, trailerLine.length * 2);
          trailerLine = Arrays.copyOf(trailerLine, Math.min(maxTrailerBytes, grown));
        }
        trailerLine[trailerLineLength++] = b;
      }
    }

    /** A whole trailer field line: parsed with the rules of a head's field lines. */
    private void trailerField() throws BadMessageException {
      if (trailers.size() >= maxTrailerFields) {
        throw overLimit("more than " + maxTrailerFields + " trailer fields");
      }
      String error = HttpHeadParser.parseTrailerField(trailerLine, 0, trailerLineLength, trailers);
      if (error != null) {
        throw bad("trailer field: " + error);
      }
    }

    /** A trailer section over a limit is answered like a head over it: 431 for a request. */
    private BadMessageException overLimit(String reason) {
      return new BadMessageException(badStatus == 400 ? 431 : badStatus, "bad chunked body: " + reason);
    }

    @Override
    public HttpHeaders trailers() {
      return state == State.DONE ? HttpHeaders.copyOf(trailers) : new HttpHeaders();
    }

    @Override
    boolean isChunkedFraming() {
      return true;
    }

    private BadMessageException bad(String reason) {
      return new BadMessageException(badStatus, "bad chunked body: " + reason);
    }

    @Override
    public boolean isDone() {
      return state == State.DONE;
    }

    @Override
    public void endOfStream() throws BadMessageException {
      if (state != State.DONE) {
        throw new BadMessageException(502, "connection closed before the last chunk");
      }
    }
  }
}
