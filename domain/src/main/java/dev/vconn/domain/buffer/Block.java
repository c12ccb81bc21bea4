package dev.vconn.domain.buffer;

import java.nio.ByteBuffer;

/**
 * A window over one {@link BlockData} in one buffer's chain (Traffic Server's {@code IOBufferBlock}). Readable bytes
 * are {@code [start, end)}; the writer may append up to {@code writeLimit}. A block shared from another buffer has
 * {@code writeLimit == end}: read-only. Each block holds one reference on its storage, dropped by {@link #release()}.
 *
 * <p>{@code seq} orders the blocks of one chain, so the buffer can tell which block is the oldest still needed.
 */
final class Block {

  final BlockData data;
  long seq;
  int start;
  int end;
  int writeLimit;
  Block next;

  /** Cached views, created on first use and then only repositioned: no allocation per I/O call. */
  private ByteBuffer readView;
  private ByteBuffer writeView;

  Block(BlockData data, long seq, int start, int end, int writeLimit) {
    this.data = data;
    this.seq = seq;
    this.start = start;
    this.end = end;
    this.writeLimit = writeLimit;
  }

  int readAvail() {
    return end - start;
  }

  int writeAvail() {
    return writeLimit - end;
  }

  /** A read-only view over {@code [from, to)} of the storage (absolute indexes). */
  ByteBuffer readView(int from, int to) {
    ByteBuffer v = readView;
    if (v == null) {
      v = data.buffer.asReadOnlyBuffer();
      readView = v;
    }
    v.limit(to);
    v.position(from);
    return v;
  }

  /** A writable view over the free space {@code [end, writeLimit)} (absolute indexes). */
  ByteBuffer writeView() {
    ByteBuffer v = writeView;
    if (v == null) {
      v = data.buffer.duplicate();
      writeView = v;
    }
    v.limit(writeLimit);
    v.position(end);
    return v;
  }

  void release() {
    next = null;
    data.release();
  }

  @Override
  public String toString() {
    return "Block[seq=" + seq + ", " + start + ".." + end + "/" + writeLimit + " of " + data + "]";
  }
}
