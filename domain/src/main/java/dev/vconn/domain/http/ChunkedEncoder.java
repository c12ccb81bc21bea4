package dev.vconn.domain.http;

import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Writes a body into an {@link IOBuffer} in HTTP/1.1 chunked transfer coding (RFC 9112 §7.1): each chunk as its size
 * in lower-case hex, CRLF, the bytes and CRLF, and at the end the last chunk {@code 0} CRLF, the trailer fields if
 * there are any, and CRLF (no chunk extensions). The proxy's body sink and the intercept server both write their
 * chunks with it.
 *
 * <p>It allocates nothing per chunk: the size line is built in an array the encoder owns. Not thread-safe; use one
 * encoder per body, from the thread that fills the buffer.
 */
public final class ChunkedEncoder {
  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

  private final IOBuffer buffer;
  /** The chunk-size line being written: up to 16 hex digits and CRLF. */
  private final byte[] sizeLine = new byte[18];

  /**
   * Creates an encoder that writes into {@code buffer}.
   *
   * @param buffer where the encoded body goes
   */
  public ChunkedEncoder(IOBuffer buffer) {
    this.buffer = Objects.requireNonNull(buffer, "buffer");
  }

  /**
   * Writes one chunk holding the first {@code n} readable bytes of {@code from}, without consuming them (like
   * {@link IOBuffer#write(IOBufferReader, long)}).
   *
   * @param from where the chunk's bytes are
   * @param n the chunk's size, at least 1 (a chunk of 0 bytes is the last chunk: {@link #writeLastChunk()})
   * @return how many bytes went into the buffer, framing included
   * @throws IllegalArgumentException if {@code n < 1} or {@code n > from.readAvail()}
   */
  public long writeChunk(IOBufferReader from, long n) {
    checkSize(n);
    if (n > from.readAvail()) {
      throw new IllegalArgumentException("a chunk of " + n + " bytes from a reader with " + from.readAvail());
    }
    long written = writeSizeLine(n);
    written += buffer.write(from, n);
    return written + buffer.write(CRLF);
  }

  /**
   * Writes one chunk holding {@code len} bytes of {@code src} from {@code off}.
   *
   * @param src the chunk's bytes
   * @param off where they start in {@code src}
   * @param len the chunk's size, at least 1 (a chunk of 0 bytes is the last chunk: {@link #writeLastChunk()})
   * @return how many bytes went into the buffer, framing included
   * @throws IllegalArgumentException if {@code len < 1}
   * @throws IndexOutOfBoundsException if {@code off} and {@code len} do not fit {@code src}
   */
  public long writeChunk(byte[] src, int off, int len) {
    checkSize(len);
    Objects.checkFromIndexSize(off, len, src.length);
    long written = writeSizeLine(len);
    written += buffer.write(src, off, len);
    return written + buffer.write(CRLF);
  }

  /**
   * Writes the last chunk, which ends the body.
   *
   * @return how many bytes went into the buffer
   */
  public long writeLastChunk() {
    return buffer.write(LAST_CHUNK);
  }

  /**
   * Writes the last chunk with a trailer section (RFC 9112 §7.1.2): {@code 0} CRLF, each field as {@code name: value}
   * CRLF, and the empty line. The caller decides which fields may be trailers (docs/http.md, "Trailers"); with no
   * fields this is {@link #writeLastChunk()}.
   *
   * @param trailers the trailer fields, in order
   * @return how many bytes went into the buffer
   */
  public long writeLastChunk(HttpHeaders trailers) {
    if (trailers.isEmpty()) {
      return writeLastChunk();
    }
    StringBuilder section = trailers.writeTo(new StringBuilder("0\r\n")).append("\r\n");
    return buffer.write(section.toString().getBytes(StandardCharsets.ISO_8859_1));
  }

  private static void checkSize(long n) {
    if (n < 1) {
      throw new IllegalArgumentException("a chunk holds at least 1 byte (a chunk of 0 bytes ends the body), was " + n);
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
}
