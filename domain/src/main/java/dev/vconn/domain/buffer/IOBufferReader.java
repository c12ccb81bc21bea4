package dev.vconn.domain.buffer;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * A read position in one {@link IOBuffer}: Traffic Server's {@code IOBufferReader}. Each reader sees everything
 * written after its position; consuming moves the position forward, and blocks that no reader needs any more are
 * released. A buffer has at most five live readers.
 *
 * <p>Not thread-safe, like its buffer. Using a reader after {@link #free()} throws
 * {@code IllegalStateException("IOBufferReader is freed")}; using it after its buffer was closed throws
 * {@code IllegalStateException("IOBuffer is closed")}.
 */
public final class IOBufferReader {

  private final IOBuffer buffer;
  /** Current block (null only before the buffer's first block, or once freed); package-private for the buffer. */
  Block block;
  /** Absolute index into {@code block}'s storage, in {@code [block.start, block.end]}. */
  int index;
  /** Stream position: bytes of the buffer's stream before this reader's position. */
  long pos;
  private boolean freed;
  /** The next live reader of the same buffer (the buffer's list of live readers); null at the end or once freed. */
  IOBufferReader nextLive;

  IOBufferReader(IOBuffer buffer, Block block, int index, long pos) {
    this.buffer = buffer;
    this.block = block;
    this.index = index;
    this.pos = pos;
  }

  /**
   * Returns the buffer this reader reads. Works even after {@link #free()}.
   *
   * @return the buffer
   */
  public IOBuffer buffer() {
    return buffer;
  }

  /**
   * Returns how many bytes can be read: everything written after this reader's position.
   *
   * @return the readable byte count
   * @throws IllegalStateException if this reader is freed or its buffer closed
   */
  public long readAvail() {
    ensureLive();
    return buffer.written - pos;
  }

  /**
   * Tells whether nothing can be read.
   *
   * @return {@code readAvail() == 0}
   * @throws IllegalStateException if this reader is freed or its buffer closed
   */
  public boolean isEmpty() {
    return readAvail() == 0;
  }

  /**
   * Tells whether {@link #free()} was called, or the buffer was closed (which frees its readers).
   *
   * @return true once freed
   */
  public boolean isFreed() {
    return freed;
  }

  /**
   * Moves the read position {@code n} bytes forward. Blocks passed that no other reader (and not the write block)
   * needs are released.
   *
   * @param n how many bytes to consume
   * @throws IllegalArgumentException if {@code n < 0}, or {@code "consume(<n>) exceeds readAvail <avail> (a reader
   *     consumes at most what it can read)"}; nothing changes then
   * @throws IllegalStateException if this reader is freed or its buffer closed
   */
  public void consume(long n) {
    ensureLive();
    if (n < 0) {
      throw new IllegalArgumentException("consume(" + n + "): n must be >= 0");
    }
    long avail = buffer.written - pos;
    if (n > avail) {
      throw new IllegalArgumentException(
          "consume(" + n + ") exceeds readAvail " + avail + " (a reader consumes at most what it can read)");
    }
    Block b = block;
    if (b == null) {
      return;
    }
    Block old = b;
    Block writer = buffer.writer;
    int p = index;
    long rem = n;
    for (;;) {
      int a = b.end - p;
      if (rem <= a) {
        p += (int) rem;
        rem = 0;
      } else {
        rem -= a;
        p = b.end;
      }
      // A block before the writer never grows again: once at its end, move on.
      if (p == b.end && b != writer) {
        b = b.next;
        p = b.start;
        continue;
      }
      if (rem == 0) {
        break;
      }
      throw new IllegalStateException("IOBuffer chain inconsistent: " + rem + " bytes missing after " + b);
    }
    block = b;
    index = p;
    pos += n;
    if (b != old && old == buffer.head) {
      buffer.releaseUnneeded();
    }
  }

  /**
   * Copies up to {@code len} readable bytes into {@code dst} and consumes them.
   *
   * @param dst where to copy
   * @param off where to start in {@code dst}
   * @param len the most bytes to copy
   * @return how many bytes were copied and consumed: {@code min(len, readAvail())}, 0 if empty
   * @throws IndexOutOfBoundsException if {@code off} and {@code len} do not fit {@code dst}
   * @throws IllegalStateException if this reader is freed or its buffer closed
   */
  public int read(byte[] dst, int off, int len) {
    int n = (int) copyTo(dst, off, len, 0);
    consume(n);
    return n;
  }

  /**
   * Copies up to {@code dst.remaining()} readable bytes into {@code dst} (advancing its position) and consumes them.
   *
   * @param dst where to copy
   * @return how many bytes were copied and consumed, 0 if empty
   * @throws java.nio.ReadOnlyBufferException if {@code dst} is read-only and there is something to copy
   * @throws IllegalStateException if this reader is freed or its buffer closed
   */
  public int read(ByteBuffer dst) {
    ensureLive();
    int total = (int) Math.min(dst.remaining(), buffer.written - pos);
    int rem = total;
    int at = dst.position();
    Block b = block;
    int p = index;
    while (rem > 0) {
      int n = Math.min(b.end - p, rem);
      if (n > 0) {
        dst.put(at, b.data.buffer, p, n);
        at += n;
        rem -= n;
      }
      if (rem > 0) {
        b = b.next;
        p = b.start;
      }
    }
    dst.position(at);
    consume(total);
    return total;
  }

  /**
   * Copies readable bytes into {@code dst} without consuming them, starting {@code offset} bytes after the read
   * position.
   *
   * @param dst where to copy
   * @param off where to start in {@code dst}
   * @param len the most bytes to copy
   * @param offset how many readable bytes to skip first
   * @return how many bytes were copied: {@code min(len, readAvail() - offset)}, or 0 if {@code offset >= readAvail()}
   * @throws IllegalArgumentException if {@code offset < 0}
   * @throws IndexOutOfBoundsException if {@code off} and {@code len} do not fit {@code dst}
   * @throws IllegalStateException if this reader is freed or its buffer closed
   */
  public long copyTo(byte[] dst, int off, int len, long offset) {
    ensureLive();
    Objects.checkFromIndexSize(off, len, dst.length);
    if (offset < 0) {
      throw new IllegalArgumentException("copyTo(offset=" + offset + "): offset must be >= 0");
    }
    long avail = buffer.written - pos;
    if (offset >= avail) {
      return 0;
    }
    int total = (int) Math.min(len, avail - offset);
    int rem = total;
    long skip = offset;
    Block b = block;
    int p = index;
    while (rem > 0) {
      int a = b.end - p;
      if (skip >= a) {
        skip -= a;
      } else {
        int from = p + (int) skip;
        skip = 0;
        int n = Math.min(b.end - from, rem);
        b.data.buffer.get(from, dst, off, n);
        off += n;
        rem -= n;
        if (rem == 0) {
          break;
        }
      }
      b = b.next;
      p = b.start;
    }
    return total;
  }

  /**
   * Returns one readable byte without consuming it.
   *
   * @param offset how far after the read position, {@code 0 <= offset < readAvail()}
   * @return the byte
   * @throws IndexOutOfBoundsException if {@code offset} is negative or not below {@code readAvail()}
   * @throws IllegalStateException if this reader is freed or its buffer closed
   */
  public byte byteAt(long offset) {
    ensureLive();
    long avail = buffer.written - pos;
    if (offset < 0 || offset >= avail) {
      throw new IndexOutOfBoundsException("byteAt(" + offset + ") outside readAvail " + avail);
    }
    long skip = offset;
    Block b = block;
    int p = index;
    for (;;) {
      int a = b.end - p;
      if (skip < a) {
        return b.data.buffer.get(p + (int) skip);
      }
      skip -= a;
      b = b.next;
      p = b.start;
    }
  }

  /**
   * Allocates a new reader of the same buffer at this reader's position ({@code TSIOBufferReaderClone}). It counts
   * toward the buffer's five readers.
   *
   * @return the new reader
   * @throws IllegalStateException if five readers are live, this reader is freed or its buffer closed
   */
  public IOBufferReader cloneReader() {
    ensureLive();
    return buffer.cloneReader(this);
  }

  /**
   * Fills {@code dst} with views over the readable bytes, one per block, for a gather write
   * ({@code GatheringByteChannel.write(ByteBuffer[])}). Nothing is consumed: consume afterwards by the number of bytes
   * the channel took. The views are read-only, cached per block and only repositioned (no allocation in steady state):
   * they stay valid until the next call that changes or reads the buffer through views. Do not keep them.
   *
   * @param dst where to put the views, from index 0
   * @param maxBytes the most bytes the views may cover in total
   * @return how many entries of {@code dst} were filled
   * @throws IllegalArgumentException if {@code maxBytes < 0}
   * @throws IllegalStateException if this reader is freed or its buffer closed
   */
  public int readableBuffers(ByteBuffer[] dst, long maxBytes) {
    ensureLive();
    if (maxBytes < 0) {
      throw new IllegalArgumentException("readableBuffers(maxBytes=" + maxBytes + "): maxBytes must be >= 0");
    }
    long rem = Math.min(maxBytes, buffer.written - pos);
    int count = 0;
    Block b = block;
    int p = index;
    while (rem > 0 && count < dst.length) {
      int a = b.end - p;
      if (a > 0) {
        int n = (int) Math.min(a, rem);
        dst[count++] = b.readView(p, p + n);
        rem -= n;
      }
      if (rem > 0) {
        b = b.next;
        p = b.start;
      }
    }
    return count;
  }

  /**
   * Returns a writable view over the readable bytes of one block, from this reader's position to the end of the
   * block that holds them (at most {@code maxBytes}), for a consumer that must transform bytes where they lie before
   * consuming them: a TLS engine that decrypts a record in place. Only when nobody else can see those bytes: this is
   * its buffer's only live reader and the block's storage is held by this block alone (not shared by reference with
   * another buffer or block). Otherwise, or when nothing is readable, returns {@code null}: copy the bytes out then.
   * Nothing is consumed; consume afterwards what was used. Bytes changed through the view are changed for this
   * reader. The view is cached per block and only repositioned: it stays valid until the next call that changes or
   * reads the buffer through views. Do not keep it.
   *
   * @param maxBytes the most bytes the view may cover
   * @return the view, with {@code 1 <= remaining() <= maxBytes}, or {@code null}
   * @throws IllegalArgumentException if {@code maxBytes < 1}
   * @throws IllegalStateException if this reader is freed or its buffer closed
   */
  public ByteBuffer exclusiveBlockBuffer(long maxBytes) {
    ensureLive();
    if (maxBytes < 1) {
      throw new IllegalArgumentException("exclusiveBlockBuffer(maxBytes=" + maxBytes + "): maxBytes must be >= 1");
    }
    if (buffer.written == pos || buffer.readerCount() != 1) {
      return null;
    }
    Block b = block;
    int p = index;
    while (b.end == p) { // something is readable, so a later block holds it
      b = b.next;
      p = b.start;
    }
    if (b.data.refCount() != 1) {
      return null;
    }
    return b.exclusiveView(p, p + (int) Math.min(b.end - p, maxBytes));
  }

  /**
   * Frees this reader: its slot can be reused, and blocks only it kept are released. Idempotent; also a no-op once
   * the buffer is closed.
   */
  public void free() {
    if (freed) {
      return;
    }
    freed = true;
    block = null;
    buffer.readerFreed(this);
  }

  /** Called by the buffer's close: marks the reader freed without touching the buffer. */
  void detach() {
    freed = true;
    block = null;
  }

  void ensureLive() {
    buffer.ensureOpen();
    if (freed) {
      throw new IllegalStateException("IOBufferReader is freed");
    }
  }

  /**
   * Describes the reader for debugging.
   *
   * @return a debugging description
   */
  @Override
  public String toString() {
    if (freed || buffer.isClosed()) {
      return "IOBufferReader[freed]";
    }
    return "IOBufferReader[readAvail=" + (buffer.written - pos) + "]";
  }

  /**
   * Finds a byte among the readable bytes without consuming anything or copying them out. Reads the block storage
   * eight bytes at a time and skips the blocks before {@code from} without reading them.
   *
   * @param value the byte to find
   * @param from the first offset after the read position to look at, {@code >= 0}
   * @param to the offset to stop before; clipped to {@code readAvail()}
   * @return the offset (after the read position) of the first {@code value} in {@code [from, to)}, or -1
   * @throws IllegalArgumentException if {@code from < 0}
   * @throws IllegalStateException if this reader is freed or its buffer closed
   */
  public long indexOf(byte value, long from, long to) {
    ensureLive();
    if (from < 0) {
      throw new IllegalArgumentException("indexOf(from=" + from + "): from must be >= 0");
    }
    long end = Math.min(to, buffer.written - pos);
    long offset = 0; // of p, the first readable index of b
    Block b = block;
    int p = index;
    while (offset < end) {
      int a = b.end - p;
      if (offset + a > from) {
        int first = p + (int) Math.max(0, from - offset);
        int found = indexIn(b.data.buffer, value, first, p + (int) Math.min(a, end - offset));
        if (found >= 0) {
          return offset + (found - p);
        }
      }
      offset += a;
      if (offset >= end) {
        break;
      }
      b = b.next;
      p = b.start;
    }
    return -1;
  }

  /**
   * Finds the first empty line among the readable bytes, as the line-based text protocols (HTTP/1 heads and trailers)
   * end a block of lines: a line feed followed by a line feed, or by CR and a line feed. Nothing is consumed or
   * copied out; the storage is searched for line feeds eight bytes at a time, and a line end may span blocks.
   *
   * @param from the first offset after the read position where the first line feed may be, {@code >= 0}
   * @param to the offset the whole sequence ({@code LF LF} or {@code LF CR LF}) must end at or before; clipped to
   *     {@code readAvail()}
   * @return the offset (after the read position) of the first line feed of the first such sequence in
   *     {@code [from, to)}, or -1
   * @throws IllegalArgumentException if {@code from < 0}
   * @throws IllegalStateException if this reader is freed or its buffer closed
   */
  public long indexOfEmptyLine(long from, long to) {
    ensureLive();
    if (from < 0) {
      throw new IllegalArgumentException("indexOfEmptyLine(from=" + from + "): from must be >= 0");
    }
    long end = Math.min(to, buffer.written - pos);
    long offset = 0; // of p, the first readable index of b
    Block b = block;
    int p = index;
    while (offset < end) {
      int a = b.end - p;
      if (offset + a > from) {
        ByteBuffer buf = b.data.buffer;
        int i = p + (int) Math.max(0, from - offset);
        int last = p + (int) Math.min(a, end - offset); // the starts to look at in this block are before last
        // Line feeds are found eight bytes at a time; each one found is checked for the rest of an empty line, which
        // may lie in the next word or block.
        for (; i + 8 <= last; i += 8) {
          for (long lfs = zeroBytes((long) LONGS.get(buf, i) ^ LF_BYTES); lfs != 0; lfs &= lfs - 1) {
            int lf = i + (Long.numberOfTrailingZeros(lfs) >>> 3);
            if (emptyLineAt(b, lf + 1, end - (offset + (lf - p) + 1))) {
              return offset + (lf - p);
            }
          }
        }
        for (; i < last; i++) {
          if (buf.get(i) == '\n' && emptyLineAt(b, i + 1, end - (offset + (i - p) + 1))) {
            return offset + (i - p);
          }
        }
      }
      offset += a;
      if (offset >= end) {
        break;
      }
      b = b.next;
      p = b.start;
    }
    return -1;
  }

  /**
   * Whether the {@code left} bytes readable from index {@code i} of {@code b} on (continuing into the blocks after
   * it) start with a line feed, or with CR and a line feed: the rest of an empty line after its first line feed.
   */
  private static boolean emptyLineAt(Block b, int i, long left) {
    if (left < 1) {
      return false;
    }
    while (i == b.end) {
      b = b.next;
      i = b.start;
    }
    byte next = b.data.buffer.get(i);
    if (next == '\n') {
      return true;
    }
    if (next != '\r' || left < 2) {
      return false;
    }
    i++;
    while (i == b.end) {
      b = b.next;
      i = b.start;
    }
    return b.data.buffer.get(i) == '\n';
  }

  /** The high bit of each zero byte of {@code y}, and only of those: no carry crosses a byte. */
  private static long zeroBytes(long y) {
    return ~((y & LOWS) + LOWS | y | LOWS);
  }

  private static final long LF_BYTES = '\n' * 0x0101010101010101L;

  private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long LOWS = 0x7F7F7F7F7F7F7F7FL;

  /**
   * The first index in {@code [from, to)} of {@code buf} holding {@code value}, or -1; absolute reads, eight bytes at
   * a time (little-endian, whatever the buffer's byte order, so the lowest set bit is the first byte).
   */
  private static int indexIn(ByteBuffer buf, byte value, int from, int to) {
    int i = from;
    long spread = (value & 0xffL) * ONES;
    for (; i + 8 <= to; i += 8) {
      long zeros = zeroBytes((long) LONGS.get(buf, i) ^ spread); // a zero byte where value was
      if (zeros != 0) {
        return i + (Long.numberOfTrailingZeros(zeros) >>> 3);
      }
    }
    for (; i < to; i++) {
      if (buf.get(i) == value) {
        return i;
      }
    }
    return -1;
  }
}
