package dev.vconn.domain.buffer;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A thread-safe pool of block storage, one free list per size class (see {@link BufferSizes}). Storage is handed to
 * {@link IOBuffer}s and comes back when the last block that references it is dropped, possibly on another thread.
 *
 * <p>The pool counts what is outstanding (handed out and not yet returned), so tests can assert that everything came
 * back. It keeps at most a bounded number of idle storage objects per class (256, and no more than about 8 MiB per
 * class) and leaves the rest to the garbage collector.
 */
public final class BlockPool {

  /** Largest number of idle storage objects kept per size class. */
  static final int MAX_IDLE_PER_CLASS = 256;

  /** Largest number of idle bytes kept per size class. */
  static final long MAX_IDLE_BYTES_PER_CLASS = 8L << 20;

  private final boolean direct;
  private final SizeClass[] classes = new SizeClass[BufferSizes.MAX_INDEX + 1];

  /** Creates a pool of direct {@link ByteBuffer}s, so socket I/O needs no extra copy. */
  public BlockPool() {
    this(true);
  }

  private BlockPool(boolean direct) {
    this.direct = direct;
    for (int i = 0; i < classes.length; i++) {
      classes[i] = new SizeClass(i);
    }
  }

  /**
   * Creates a pool of heap {@link ByteBuffer}s.
   *
   * @return a new pool
   */
  public static BlockPool heap() {
    return new BlockPool(false);
  }

  /**
   * Tells whether this pool hands out direct buffers.
   *
   * @return true for {@link #BlockPool()}, false for {@link #heap()}
   */
  public boolean isDirect() {
    return direct;
  }

  /**
   * Counts the storage objects handed out and not yet returned, over all size classes.
   *
   * @return the outstanding count; exact once no other thread is allocating or releasing
   */
  public long outstanding() {
    long n = 0;
    for (SizeClass c : classes) {
      n += c.outstanding.get();
    }
    return n;
  }

  /**
   * Counts the storage objects of one size class handed out and not yet returned.
   *
   * @param index a size index in {@code 0..14}
   * @return the outstanding count of that class
   * @throws IllegalArgumentException if {@code index} is outside {@code 0..14}
   */
  public long outstanding(int index) {
    return classes[BufferSizes.checkIndex("index", index)].outstanding.get();
  }

  /**
   * Counts the storage objects cached for reuse, over all size classes.
   *
   * @return the idle count
   */
  public long idle() {
    long n = 0;
    for (SizeClass c : classes) {
      synchronized (c) {
        n += c.idleCount;
      }
    }
    return n;
  }

  /** Hands out storage of one size class with one reference. */
  BlockData allocate(int index) {
    SizeClass c = classes[index];
    BlockData d = null;
    synchronized (c) {
      if (c.idleCount > 0) {
        d = c.idle[--c.idleCount];
        c.idle[c.idleCount] = null;
      }
    }
    if (d == null) {
      int size = BufferSizes.blockSize(index);
      d = new BlockData(this, index, direct ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size));
    }
    d.activate();
    c.outstanding.incrementAndGet();
    return d;
  }

  /** Takes back storage whose last reference was released; called exactly once per hand-out. */
  void recycle(BlockData d) {
    SizeClass c = classes[d.sizeIndex];
    c.outstanding.decrementAndGet();
    synchronized (c) {
      if (c.idleCount < c.idle.length) {
        c.idle[c.idleCount++] = d;
      }
    }
  }

  /**
   * Describes the pool: its kind, the outstanding count per size class that has any, and the idle count.
   *
   * @return a debugging description
   */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("BlockPool[").append(direct ? "direct" : "heap").append(", outstanding={");
    boolean first = true;
    for (SizeClass c : classes) {
      long n = c.outstanding.get();
      if (n != 0) {
        if (!first) {
          sb.append(", ");
        }
        first = false;
        sb.append(BufferSizes.blockSize(c.index)).append("B:").append(n);
      }
    }
    return sb.append("}, idle=").append(idle()).append(']').toString();
  }

  private static final class SizeClass {
    final int index;
    final AtomicLong outstanding = new AtomicLong();
    final BlockData[] idle;
    int idleCount;

    SizeClass(int index) {
      this.index = index;
      long byBytes = MAX_IDLE_BYTES_PER_CLASS / BufferSizes.blockSize(index);
      this.idle = new BlockData[(int) Math.max(1, Math.min(MAX_IDLE_PER_CLASS, byBytes))];
    }
  }
}
