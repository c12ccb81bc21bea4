package dev.vconn.domain.http;

import dev.vconn.domain.buffer.IOBufferReader;

/**
 * Finds one message body in a connection's bytes and moves it, decoded, into a {@link BodySink}: no body, a fixed
 * Content-Length, chunked (RFC 9112 §7.1, trailers read and dropped) or until the connection closes.
 */
abstract class BodyDecoder {

  static BodyDecoder none() {
    return new Fixed(0);
  }

  static BodyDecoder fixed(long length) {
    return new Fixed(length);
  }

  static BodyDecoder chunked(int maxTrailerBytes, int badStatus) {
    return new Chunked(maxTrailerBytes, badStatus);
  }

  static BodyDecoder untilClose() {
    return new UntilClose();
  }

  /**
   * Moves what is available, up to the sink's space, and returns the number of input bytes consumed (framing
   * included).
   */
  abstract long decode(IOBufferReader in, BodySink sink) throws BadMessageException;

  abstract boolean isDone();

  /** The connection ended: fine for a close-delimited body, a truncated body otherwise. */
  abstract void endOfStream() throws BadMessageException;

  /** Whether the body ends only with the connection. */
  boolean isCloseDelimited() {
    return false;
  }

  private static final class Fixed extends BodyDecoder {
    private long remaining;

    Fixed(long length) {
      remaining = length;
    }

    @Override
    long decode(IOBufferReader in, BodySink sink) {
      long n = Math.min(remaining, Math.min(in.readAvail(), sink.space()));
      sink.write(in, n);
      remaining -= n;
      return n;
    }

    @Override
    boolean isDone() {
      return remaining == 0;
    }

    @Override
    void endOfStream() throws BadMessageException {
      if (remaining > 0) {
        throw new BadMessageException(502, "connection closed " + remaining + " bytes before the end of the body");
      }
    }
  }

  private static final class UntilClose extends BodyDecoder {
    private boolean done;

    @Override
    long decode(IOBufferReader in, BodySink sink) {
      long n = Math.min(in.readAvail(), sink.space());
      sink.write(in, n);
      return n;
    }

    @Override
    boolean isDone() {
      return done;
    }

    @Override
    void endOfStream() {
      done = true;
    }

    @Override
    boolean isCloseDelimited() {
      return true;
    }
  }

  /** Chunked decoding, byte by byte for the framing and by reference for the data. */
  private static final class Chunked extends BodyDecoder {
    private static final int MAX_SIZE_LINE = 1024;

    private enum State { SIZE, SIZE_WS, EXTENSION, SIZE_LF, DATA, DATA_END, TRAILER, DONE }

    private final int maxTrailerBytes;
    private final int badStatus;
    private State state = State.SIZE;
    private long chunkRemaining;
    private int sizeDigits;
    private int lineBytes;
    private int trailerBytes;
    private boolean sawCr;

    Chunked(int maxTrailerBytes, int badStatus) {
      this.maxTrailerBytes = maxTrailerBytes;
      this.badStatus = badStatus;
    }

    @Override
    long decode(IOBufferReader in, BodySink sink) throws BadMessageException {
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
        case EXTENSION -> {
          if (b == '\r') {
            state = State.SIZE_LF;
          } else if (b == '\n') {
            sizeLineDone();
          } else if (b < 0x20 && b != '\t' || b == 0x7f) {
            throw bad("control character in chunk extension");
          }
        }
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
        case ';' -> state = State.EXTENSION;
        case '\r' -> state = State.SIZE_LF;
        case '\n' -> sizeLineDone();
        default -> throw bad("invalid character after chunk size");
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
        throw bad("trailer section too large");
      }
      if (sawCr && b != '\n') {
        throw bad("bare CR in trailer");
      }
      if (b == '\r') {
        sawCr = true;
      } else if (b == '\n') {
        if (lineBytes <= 1 + (sawCr ? 1 : 0)) {
          state = State.DONE; // the empty line that ends the trailer section
        }
        lineBytes = 0;
        sawCr = false;
      }
    }

    private BadMessageException bad(String reason) {
      return new BadMessageException(badStatus, "bad chunked body: " + reason);
    }

    @Override
    boolean isDone() {
      return state == State.DONE;
    }

    @Override
    void endOfStream() throws BadMessageException {
      if (state != State.DONE) {
        throw new BadMessageException(502, "connection closed before the last chunk");
      }
    }
  }
}
