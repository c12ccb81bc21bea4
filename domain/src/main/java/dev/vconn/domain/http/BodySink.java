package dev.vconn.domain.http;

import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;

/**
 * Where a decoded body goes: a buffer that some write VIO drains, raw or chunk-encoded. {@link #space()} bounds how
 * much is pending in it, which is how the tunnel applies backpressure.
 */
final class BodySink implements BodyDecoder.Target {
  private IOBuffer buffer;
  private IOBufferReader pending;
  private long limit;
  /** The chunk encoder of a chunked sink, null for a raw one. */
  private ChunkedEncoder chunks;
  /** The encoder of {@link #buffer}, kept for a later {@link #reset} to chunk into the same buffer again. */
  private ChunkedEncoder encoder;
  private long written;
  private long bodyBytes;
  private boolean ended;

  /**
   * @param buffer the buffer a write VIO drains through {@code pending}
   * @param pending the reader of that write VIO: its readAvail is what is not sent yet
   * @param limit how much may be pending before {@link #space()} is 0
   * @param chunked whether to chunk-encode
   */
  BodySink(IOBuffer buffer, IOBufferReader pending, long limit, boolean chunked) {
    reset(buffer, pending, limit, chunked);
  }

  /**
   * Makes this a new sink with these arguments (as the constructor), for the next body of the session or machine
   * that keeps it: nothing of the previous body (its counts, its end) remains.
   */
  void reset(IOBuffer buffer, IOBufferReader pending, long limit, boolean chunked) {
    if (encoder != null && this.buffer != buffer) {
      encoder = null;
    }
    this.buffer = buffer;
    this.pending = pending;
    this.limit = limit;
    if (chunked && encoder == null) {
      encoder = new ChunkedEncoder(buffer);
    }
    this.chunks = chunked ? encoder : null;
    written = 0;
    bodyBytes = 0;
    ended = false;
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
    written += chunks == null ? buffer.write(from, n) : chunks.writeChunk(from, n);
    from.consume(n);
    bodyBytes += n;
  }

  /**
   * Ends the body: the last chunk with these trailer fields (none if null or empty) for a chunked sink; a raw sink
   * has no place for them and drops them.
   */
  void end(HttpHeaders trailers) {
    if (ended) {
      return;
    }
    ended = true;
    if (chunks != null) {
      written += trailers == null ? chunks.writeLastChunk() : chunks.writeLastChunk(trailers);
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
