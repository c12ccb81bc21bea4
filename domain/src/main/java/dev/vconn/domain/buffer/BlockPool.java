package dev.vconn.domain.buffer;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A thread-safe pool of block storage, one free list per size class (see {@link BufferSizes}). Storage is handed to
 * {@link IOBuffer}s and comes back when the last block that references it is dropped, possibly on another thread.
 * Every direct buffer vconn uses comes from here (docs/semantics.md, "Block pool and what an idle connection
 * holds").
 *
 * <p><b>Bounds.</b> The pool caches freed storage for reuse up to {@link Bounds#maxCachedBytes()} over all size
 * classes; storage freed beyond that bound is dropped (a direct buffer's memory then goes back to the system when
 * the garbage collector finds the buffer unreachable, which Java 17 offers no way to hasten), so the cache never
 * pins more than the bound. {@link Bounds#outstandingLimitBytes()} is a soft limit on storage handed out and not yet
 * returned: past it the pool still serves (refusing would fail transfers half-way through; admitting connections is
 * the connection limits' job), counts each such allocation ({@link Report#allocationsOverLimit()}) and caches
 * nothing freed while it is exceeded, so memory taken in a burst beyond the limit is not kept.
 *
 * <p><b>Report.</b> {@link #report()} tells what the pool holds: blocks and bytes handed out and cached, per size
 * class and in total, the high-water mark of bytes handed out, and how many blocks were dropped or handed out past
 * the limit. The counts are exact once no other thread is allocating or releasing.
 */
public final class BlockPool {

  /** The default bound on cached bytes: 16 MiB. */
  public static final long DEFAULT_MAX_CACHED_BYTES = 16L << 20;

  /**
   * The pool's bounds.
   *
   * @param maxCachedBytes the most bytes of freed storage kept for reuse, over all size classes; 0 caches nothing
   * @param outstandingLimitBytes the soft limit on bytes handed out and not yet returned (see the class comment);
   *     {@link Long#MAX_VALUE} for none
   */
  public record Bounds(long maxCachedBytes, long outstandingLimitBytes) {
    /**
     * Checks the bounds.
     *
     * @throws IllegalArgumentException {@code "maxCachedBytes must be >= 0, was <n>"} or
     *     {@code "outstandingLimitBytes must be > 0, was <n>"}
     */
    public Bounds {
      if (maxCachedBytes < 0) {
        throw new IllegalArgumentException("maxCachedBytes must be >= 0, was " + maxCachedBytes);
      }
      if (outstandingLimitBytes <= 0) {
        throw new IllegalArgumentException("outstandingLimitBytes must be > 0, was " + outstandingLimitBytes);
      }
    }

    /**
     * The default bounds: {@link #DEFAULT_MAX_CACHED_BYTES} cached, no outstanding limit.
     *
     * @return the defaults
     */
    public static Bounds defaults() {
      return new Bounds(DEFAULT_MAX_CACHED_BYTES, Long.MAX_VALUE);
    }
  }

  /**
   * What one size class holds.
   *
   * @param sizeIndex the size index
   * @param blockSize the bytes per block, {@code 128 << sizeIndex}
   * @param outstandingBlocks blocks handed out and not yet returned
   * @param cachedBlocks freed blocks kept for reuse
   */
  public record SizeClassReport(int sizeIndex, int blockSize, long outstandingBlocks, long cachedBlocks) {
    /**
     * Bytes handed out and not yet returned.
     *
     * @return {@code outstandingBlocks * blockSize}
     */
    public long outstandingBytes() {
      return outstandingBlocks * blockSize;
    }

    /**
     * Bytes kept for reuse.
     *
     * @return {@code cachedBlocks * blockSize}
     */
    public long cachedBytes() {
      return cachedBlocks * blockSize;
    }
  }

  /**
   * What the pool holds.
   *
   * @param direct whether the storage is direct memory
   * @param bounds the pool's bounds
   * @param classes the size classes that hold anything (outstanding or cached), smallest first
   * @param outstandingBlocks blocks handed out and not yet returned, over all classes
   * @param outstandingBytes bytes handed out and not yet returned
   * @param cachedBlocks freed blocks kept for reuse
   * @param cachedBytes bytes kept for reuse
   * @param peakOutstandingBytes the most bytes ever handed out at once
   * @param allocationsOverLimit allocations made while the outstanding limit was exceeded
   * @param droppedBlocks freed blocks not cached (beyond the cache bound or over the limit), left to the collector
   */
  public record Report(boolean direct, Bounds bounds, List<SizeClassReport> classes, long outstandingBlocks,
      long outstandingBytes, long cachedBlocks, long cachedBytes, long peakOutstandingBytes,
      long allocationsOverLimit, long droppedBlocks) {
    /**
     * Copies the class list.
     */
    public Report {
      classes = List.copyOf(classes);
    }
  }

  private final boolean direct;
  private final Bounds bounds;
  private final SizeClass[] classes = new SizeClass[BufferSizes.MAX_INDEX + 1];
  private final AtomicLong outstandingBytes = new AtomicLong();
  private final AtomicLong cachedBytes = new AtomicLong();
  private final AtomicLong peakOutstandingBytes = new AtomicLong();
  private final AtomicLong allocationsOverLimit = new AtomicLong();
  private final AtomicLong droppedBlocks = new AtomicLong();

  /** Creates a pool of direct {@link ByteBuffer}s with the default bounds, so socket I/O needs no extra copy. */
  public BlockPool() {
    this(true, Bounds.defaults());
  }

  /**
   * Creates a pool of direct {@link ByteBuffer}s with the given bounds.
   *
   * @param bounds how much it caches, and its soft limit
   */
  public BlockPool(Bounds bounds) {
    this(true, bounds);
  }

  private BlockPool(boolean direct, Bounds bounds) {
    this.direct = direct;
    this.bounds = Objects.requireNonNull(bounds, "bounds");
    for (int i = 0; i < classes.length; i++) {
      classes[i] = new SizeClass(i);
    }
  }

  /**
   * Creates a pool of heap {@link ByteBuffer}s with the default bounds.
   *
   * @return a new pool
   */
  public static BlockPool heap() {
    return new BlockPool(false, Bounds.defaults());
  }

  /**
   * Creates a pool of heap {@link ByteBuffer}s with the given bounds.
   *
   * @param bounds how much it caches, and its soft limit
   * @return a new pool
   */
  public static BlockPool heap(Bounds bounds) {
    return new BlockPool(false, bounds);
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
   * Returns the pool's bounds.
   *
   * @return the bounds it was created with
   */
  public Bounds bounds() {
    return bounds;
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
   * Counts the bytes of storage handed out and not yet returned.
   *
   * @return the outstanding bytes
   */
  public long outstandingBytes() {
    return outstandingBytes.get();
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

  /**
   * Counts the bytes of storage cached for reuse.
   *
   * @return the cached bytes, at most {@code bounds().maxCachedBytes()}
   */
  public long cachedBytes() {
    return cachedBytes.get();
  }

  /**
   * Tells what the pool holds.
   *
   * @return a snapshot of its counters
   */
  public Report report() {
    List<SizeClassReport> list = new ArrayList<>();
    long outBlocks = 0;
    long outBytes = 0;
    long cacheBlocks = 0;
    long cacheBytes = 0;
    for (SizeClass c : classes) {
      long out = c.outstanding.get();
      long cached;
      synchronized (c) {
        cached = c.idleCount;
      }
      if (out != 0 || cached != 0) {
        SizeClassReport r = new SizeClassReport(c.index, BufferSizes.blockSize(c.index), out, cached);
        list.add(r);
        outBlocks += out;
        outBytes += r.outstandingBytes();
        cacheBlocks += cached;
        cacheBytes += r.cachedBytes();
      }
    }
    return new Report(direct, bounds, list, outBlocks, outBytes, cacheBlocks, cacheBytes,
        peakOutstandingBytes.get(), allocationsOverLimit.get(), droppedBlocks.get());
  }

  /** Hands out storage of one size class with one reference. */
  BlockData allocate(int index) {
    SizeClass c = classes[index];
    int size = BufferSizes.blockSize(index);
    BlockData d = null;
    synchronized (c) {
      if (c.idleCount > 0) {
        d = c.idle[--c.idleCount];
        c.idle[c.idleCount] = null;
      }
    }
    if (d == null) {
      d = new BlockData(this, index, direct ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size));
    } else {
      cachedBytes.addAndGet(-size);
    }
    d.activate();
    c.outstanding.incrementAndGet();
    long out = outstandingBytes.addAndGet(size);
    if (out > bounds.outstandingLimitBytes()) {
      allocationsOverLimit.incrementAndGet();
    }
    peakOutstandingBytes.accumulateAndGet(out, Math::max);
    return d;
  }

  /** Takes back storage whose last reference was released; called exactly once per hand-out. */
  void recycle(BlockData d) {
    SizeClass c = classes[d.sizeIndex];
    int size = d.capacity();
    c.outstanding.decrementAndGet();
    long out = outstandingBytes.addAndGet(-size);
    if (out + size > bounds.outstandingLimitBytes() || !reserveCache(size)) {
      droppedBlocks.incrementAndGet(); // left to the garbage collector
      return;
    }
    synchronized (c) {
      if (c.idleCount == c.idle.length) {
        c.idle = Arrays.copyOf(c.idle, c.idle.length * 2);
      }
      c.idle[c.idleCount++] = d;
    }
  }

  /** Counts {@code size} more cached bytes if that stays within the bound. */
  private boolean reserveCache(int size) {
    long max = bounds.maxCachedBytes();
    for (;;) {
      long cur = cachedBytes.get();
      if (cur + size > max) {
        return false;
      }
      if (cachedBytes.compareAndSet(cur, cur + size)) {
        return true;
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
    return sb.append("}, idle=").append(idle()).append(", cachedBytes=").append(cachedBytes.get()).append(']')
        .toString();
  }

  private static final class SizeClass {
    final int index;
    final AtomicLong outstanding = new AtomicLong();
    /** Cached storage, a stack; grows on demand (the byte bound, not its length, limits it). */
    BlockData[] idle = new BlockData[8];
    int idleCount;

    SizeClass(int index) {
      this.index = index;
    }
  }
}
