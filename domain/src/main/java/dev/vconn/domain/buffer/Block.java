package dev.vconn.domain.buffer;

import java.nio.ByteBuffer;

/**
 * A window over one {@link BlockData} in one buffer's chain (Traffic Server's {@code IOBufferBlock}). Readable bytes
 * are {@code [start, end)}; the writer may append up to {@code writeLimit}. A block shared from another buffer has
 * {@code writeLimit == end}: read-only. Each block holds one reference on its storage, dropped by {@link #release()}.
 *
 * <p>{@code seq} orders the blocks of one chain, so the buffer can tell which block is the oldest still needed.
 *
 * <p>A window belongs to one buffer. Once released it is unreachable from that buffer's chain and readers, and the
 * buffer may {@link #rebind} it as a new window (see {@link IOBuffer}, "Windows are recycled"); {@link #data} then
 * still names the storage it last held, only to tell whether its cached views can be kept, until {@link #unbind}
 * forgets it.
 *
 * <p><b>Owner windows.</b> The window a buffer made for storage it took from the pool ({@code owner}) is the only
 * window over that storage until it shares it, and the only one ever to write it; it uses the views kept with the
 * storage ({@link BlockData#ownerReadView()}, {@link BlockData#ownerWriteView()}) instead of views of its own, so
 * storage that comes back from the pool brings its views along. Released, it lets go of them: the storage's next
 * owner may be another buffer on another thread. Windows that share storage (read-only) have views of their own.
 */
final class Block {

  BlockData data;
  long seq;
  int start;
  int end;
  int writeLimit;
  Block next;
  /** Whether this window took {@link #data} from the pool itself (see "Owner windows"). */
  private boolean owner;

  /** Cached views, created on first use and then only repositioned: no allocation per I/O call. */
  private ByteBuffer readView;
  private ByteBuffer writeView;

  Block(BlockData data, long seq, int start, int end, int writeLimit, boolean owner) {
    this.data = data;
    this.seq = seq;
    this.start = start;
    this.end = end;
    this.writeLimit = writeLimit;
    this.owner = owner;
  }

  /**
   * Makes this released window a new one over {@code data}, as its owner or not. A sharing window's own cached views
   * are kept when it shares the same storage object as before (they are views of that storage), and dropped
   * otherwise.
   */
  void rebind(BlockData data, long seq, int start, int end, int writeLimit, boolean owner) {
    if (data != this.data || owner) {
      this.data = data;
      readView = null;
      writeView = null;
    }
    this.owner = owner;
    this.seq = seq;
    this.start = start;
    this.end = end;
    this.writeLimit = writeLimit;
    this.next = null;
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
      v = owner ? data.ownerReadView() : data.buffer.asReadOnlyBuffer();
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
      v = owner ? data.ownerWriteView() : data.buffer.duplicate();
      writeView = v;
    }
    v.limit(writeLimit);
    v.position(end);
    return v;
  }

  /**
   * A writable view over readable bytes {@code [from, to)} (absolute indexes), for a reader that alone sees them
   * ({@link IOBufferReader#exclusiveBlockBuffer}). It is the {@link #writeView()} object repositioned: views are
   * valid only until the next call on the buffer, so the two are never in use at once.
   */
  ByteBuffer exclusiveView(int from, int to) {
    ByteBuffer v = writeView;
    if (v == null) {
      v = owner ? data.ownerWriteView() : data.buffer.duplicate();
      writeView = v;
    }
    v.limit(to);
    v.position(from);
    return v;
  }

  /** Drops this window's reference on its storage; an owner window lets go of the storage's views first. */
  void release() {
    next = null;
    if (owner) {
      owner = false;
      readView = null;
      writeView = null;
    }
    data.release();
  }

  /**
   * Releases this window as {@link #release()} does and, if it is its storage's owner window, parks it with the
   * storage ({@link BlockData#parkWindow}) for the storage's next owner, instead of leaving it to the garbage
   * collector. The caller must not touch this window afterwards: once the storage is back in the pool, another buffer
   * (perhaps on another thread) may take it.
   */
  void releaseAndPark() {
    next = null;
    BlockData d = data;
    if (owner) {
      owner = false;
      readView = null;
      writeView = null;
      d.parkWindow(this); // before the release: the refcount's hand-over to the pool orders it before the next owner
    }
    d.release();
  }

  /**
   * Forgets the storage this released window last held, and its views: a kept window then keeps no storage
   * reachable (an idle buffer's kept windows must not hold memory the pool has let go of).
   */
  void unbind() {
    data = null;
    readView = null;
    writeView = null;
  }

  @Override
  public String toString() {
    return "Block[seq=" + seq + ", " + start + ".." + end + "/" + writeLimit + " of " + data + "]";
  }
}
