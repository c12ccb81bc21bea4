package dev.vconn.domain.http;

import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.nio.charset.StandardCharsets;

/**
 * Where a decoded body goes: a buffer that some write VIO drains, raw or chunk-encoded. {@link #space()} bounds how
 * much is pending in it, which is how the tunnel applies backpressure.
 */
final class BodySink implements BodyDecoder.Target {
  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

  private final IOBuffer buffer;
  private final IOBufferReader pending;
  private final long limit;
  private final boolean chunked;
  private long written;
  private long bodyBytes;
  private boolean ended;
  /** The chunk-size line being written: up to 16 hex digits and CRLF, built without a String per chunk. */
  private final byte[] sizeLine = new byte[18];

  /**
   * @param buffer the buffer a write VIO drains through {@code pending}
   * @param pending the reader of that write VIO: its readAvail is what is not sent yet
   * @param limit how much may be pending before {@link #space()} is 0
   * @param chunked whether to chunk-encode
   */
  BodySink(IOBuffer buffer, IOBufferReader pending, long limit, boolean chunked) {
    this.buffer = buffer;
    this.pending = pending;
    this.limit = limit;
    this.chunked = chunked;
  }

  @Override
  public long space() {
    return Math.max(0, limit - pending.readAvail());
  }

  /** Moves {@code n} bytes from {@code from} (consuming them) into the sink. */
  @Override
  public void write(IOBufferReader from, long n) {
    if (n <= 0) {
      return;
    }
    if (chunked) {
      written += writeSizeLine(n);
    }
    written += buffer.write(from, n);
    from.consume(n);
    bodyBytes += n;
    if (chunked) {
      written += buffer.write(CRLF);
    }
  }

  private long writeSizeLine(long n) {
    int at = sizeLine.length;
    sizeLine[--at] = '\n';
    sizeLine[--at] = '\r';
    long v = n;
    do {
      sizeLine[--at] = (byte) Character.forDigit((int) (v & 0xf), 16);
      v >>>= 4;
    } while (v != 0);
    return buffer.write(sizeLine, at, sizeLine.length - at);
  }

  /** Ends the body: the last chunk for a chunked sink. */
  void end() {
    if (ended) {
      return;
    }
    ended = true;
    if (chunked) {
      written += buffer.write(LAST_CHUNK);
    }
  }

  boolean isEnded() {
    return ended;
  }

  /** Every byte this sink put into its buffer, framing included. */
  long written() {
    return written;
  }

  long bodyBytes() {
    return bodyBytes;
  }
}
