package dev.vconn.domain.buffer;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Refcounted block storage of one size class (Traffic Server's {@code IOBufferData}). Handed out by a
 * {@link BlockPool} with one reference; every {@link Block} window over it holds one reference; releasing the last
 * one returns it to its pool, exactly once.
 *
 * <p>The storage {@link #buffer} is never repositioned: all access is absolute, or goes through per-block
 * duplicates, so several buffers (possibly on several threads) can read one storage object at the same time. Bytes
 * inside any block's data window are never written again, so sharing them needs no further synchronisation than the
 * hand-off of the buffers themselves.
 */
final class BlockData {

  final BlockPool pool;
  final int sizeIndex;
  final ByteBuffer buffer;
  private final AtomicInteger refs = new AtomicInteger();
  /**
   * Views for the window that took this storage from the pool (its <i>owner</i>, see {@link Block}), created on first
   * use and kept with the storage, so a buffer that gets the same storage again allocates no view. Only the owner
   * window touches them, and a storage has at most one owner at a time: the one between {@link BlockPool#allocate}
   * and that window's release; the pool's hand-over orders one owner's use before the next one's.
   */
  private ByteBuffer ownerReadView;
  private ByteBuffer ownerWriteView;
  /**
   * The owner window a buffer let go of with its last use of this storage (see {@link Block#releaseAndPark()}), for
   * the storage's next owner: a buffer made for one transaction then takes its window with its storage instead of
   * allocating one. Set by the owner window before it drops its reference, taken by the next owner after
   * {@link BlockPool#allocate}; the pool's hand-over orders the two, as for the views.
   */
  private Block parkedWindow;

  BlockData(BlockPool pool, int sizeIndex, ByteBuffer buffer) {
    this.pool = pool;
    this.sizeIndex = sizeIndex;
    this.buffer = buffer;
  }

  /** Called by the pool when it hands this storage out: one reference. */
  void activate() {
    refs.set(1);
  }

  /** Adds a reference. */
  void retain() {
    for (;;) {
      int r = refs.get();
      if (r <= 0) {
        throw new IllegalStateException("retain of released block storage " + this);
      }
      if (refs.compareAndSet(r, r + 1)) {
        return;
      }
    }
  }

  /**
   * Drops a reference; the last one returns the storage to the pool.
   *
   * @throws IllegalStateException if no reference is held (a double release)
   */
  void release() {
    for (;;) {
      int r = refs.get();
      if (r <= 0) {
        throw new IllegalStateException("double release of block storage " + this);
      }
      if (refs.compareAndSet(r, r - 1)) {
        if (r == 1) {
          pool.recycle(this);
        }
        return;
      }
    }
  }

  /** The owner window's read-only view (see {@link #ownerReadView}'s field). */
  ByteBuffer ownerReadView() {
    ByteBuffer v = ownerReadView;
    if (v == null) {
      v = buffer.asReadOnlyBuffer();
      ownerReadView = v;
    }
    return v;
  }

  /** The owner window's writable view (see {@link #ownerReadView}'s field). */
  ByteBuffer ownerWriteView() {
    ByteBuffer v = ownerWriteView;
    if (v == null) {
      v = buffer.duplicate();
      ownerWriteView = v;
    }
    return v;
  }

  /** Parks {@code window}, this storage's released owner window (see {@link #parkedWindow}'s field). */
  void parkWindow(Block window) {
    parkedWindow = window;
  }

  /** Takes the parked owner window, if any (by the storage's new owner only); null when none is parked. */
  Block takeParkedWindow() {
    Block w = parkedWindow;
    parkedWindow = null;
    return w;
  }

  int refCount() {
    return refs.get();
  }

  int capacity() {
    return buffer.capacity();
  }

  @Override
  public String toString() {
    return "BlockData[index=" + sizeIndex + ", refs=" + refs.get() + "]@" + Integer.toHexString(hashCode());
  }
}
