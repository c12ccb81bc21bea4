package dev.vconn.domain.buffer;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * A chain of blocks with one writer and up to five readers: Traffic Server's {@code MIOBuffer}.
 *
 * <p>New blocks hold {@code 128 << sizeIndex} bytes and come from a {@link BlockPool}. The buffer keeps the chain from
 * the oldest block any reader still needs (or the write block if there is no reader) to the tail, and returns the
 * storage of every block it drops to the pool once no other buffer shares it. Consuming keeps the write block;
 * {@link #trim()} gives it back too once everything was read, so an idle buffer holds no block (the VIO core does
 * this for a read buffer when a read finds nothing).
 *
 * <p>Writing: {@code write(...)} always takes everything, adding blocks as needed, and ignores the water mark. A
 * space-driven producer (a socket read) asks {@link #writeAvail()}, which honours the water mark, then writes in place
 * through {@link #writableBuffer()} and {@link #fill(long)}. {@link #write(IOBufferReader, long, long)} appends another
 * reader's data by reference (zero copy) for pieces of {@link BufferSizes#COPY_THRESHOLD} bytes or more.
 *
 * <p><b>Windows are recycled.</b> Each block of the chain is a small window object over pooled storage. A window the
 * buffer drops while data flows (consumed past, no reader needs it) is kept, up to {@value #MAX_SPARE_WINDOWS}, and
 * reused for the next block this buffer appends, so steady-state writing, sharing and consuming allocate nothing.
 * Its storage reference goes back to the pool as before. A {@link #trim()} keeps the windows it releases too, so a
 * connection that trims its buffers whenever they run dry (the VIO core, the socket adapters) allocates no window per
 * read or write either; a trim that empties the buffer makes the kept windows forget their storage and views, so an
 * idle buffer keeps at most {@value #MAX_SPARE_WINDOWS} bare window objects and no storage reachable. {@link #close()}
 * drops them. A window made for storage taken from the pool uses views kept with that storage (see {@link Block},
 * "Owner windows"), so in-place writes and reads allocate no view after a trim either. An owner window the buffer
 * does not keep (on {@link #close()}, or when it already keeps {@value #MAX_SPARE_WINDOWS}) is parked with its
 * storage, and the next buffer that takes that storage from the pool takes the window with it: a buffer made and
 * closed per transaction allocates no window for the storage it takes either. A parked window is unreachable from
 * the buffer that let it go; the next owner reframes it over its own bytes only.
 *
 * <p>Not thread-safe: the owner guards it (its continuation's lock). The pool and the storage refcounts are
 * thread-safe, since storage may be shared with buffers on other threads. After {@link #close()} every method except
 * {@link #sizeIndex()}, {@link #blockSize()}, {@link #pool()}, {@link #isClosed()} and {@link #close()} throws
 * {@code IllegalStateException("IOBuffer is closed")}.
 */
public final class IOBuffer implements AutoCloseable {

  /** Traffic Server's {@code MAX_MIOBUFFER_READERS}. */
  static final int MAX_READERS = 5;

  /**
   * The most released windows kept for reuse: enough for the pieces of one zero-copy write of several blocks, few
   * enough to weigh nothing next to the storage they frame.
   */
  static final int MAX_SPARE_WINDOWS = 8;

  private final BlockPool pool;
  private final int sizeIndex;
  private long waterMark;

  /** Oldest block still needed, or null before the first block and after close. */
  Block head;
  /** The current write block (Traffic Server's {@code _writer}); blocks after it are empty. */
  Block writer;
  /** Last block of the chain. */
  private Block tail;
  private long nextSeq;
  /** Bytes ever appended; a reader's readAvail is {@code written - reader.pos}. */
  long written;

  /**
   * The live readers, linked through {@link IOBufferReader#nextLive}, most recent first: a list instead of an array of
   * five, so a buffer with one reader (most of them) carries no array.
   */
  private IOBufferReader readers;
  private int readerCount;
  private boolean closed;
  /** Released windows kept for reuse, linked through {@link Block#next}; at most {@link #MAX_SPARE_WINDOWS}. */
  private Block spareWindows;
  private int spareWindowCount;

  /**
   * Creates an empty buffer with blocks of the default size (index 8, 32 KiB) and water mark 0. It holds no block
   * until something is written or space is asked for.
   *
   * @param pool where the blocks come from
   */
  public IOBuffer(BlockPool pool) {
    this(pool, BufferSizes.DEFAULT_INDEX);
  }

  /**
   * Creates an empty buffer with blocks of {@code 128 << sizeIndex} bytes and water mark 0. It holds no block until
   * something is written or space is asked for.
   *
   * @param pool where the blocks come from
   * @param sizeIndex the size index of new blocks
   * @throws IllegalArgumentException {@code "sizeIndex must be in 0..14, was <i>"} if it is out of range
   */
  public IOBuffer(BlockPool pool, int sizeIndex) {
    this.pool = Objects.requireNonNull(pool, "pool");
    this.sizeIndex = BufferSizes.checkIndex("sizeIndex", sizeIndex);
  }

  // ---------------------------------------------------------------------------------------------- configuration

  /**
   * Returns the size index of new blocks.
   *
   * @return the size index, {@code 0..14}
   */
  public int sizeIndex() {
    return sizeIndex;
  }

  /**
   * Returns the size of new blocks.
   *
   * @return {@code 128 << sizeIndex()}
   */
  public int blockSize() {
    return BufferSizes.blockSize(sizeIndex);
  }

  /**
   * Returns the pool this buffer takes its blocks from.
   *
   * @return the pool
   */
  public BlockPool pool() {
    return pool;
  }

  /**
   * Returns the water mark: how much unconsumed data a space-driven producer may build up (see {@link #writeAvail()}).
   *
   * @return the water mark, 0 by default
   * @throws IllegalStateException if the buffer is closed
   */
  public long waterMark() {
    ensureOpen();
    return waterMark;
  }

  /**
   * Sets the water mark.
   *
   * @param waterMark bytes of unconsumed data up to which {@link #writeAvail()} keeps adding blocks
   * @throws IllegalArgumentException {@code "waterMark must be >= 0, was <w>"} if it is negative
   * @throws IllegalStateException if the buffer is closed
   */
  public void setWaterMark(long waterMark) {
    ensureOpen();
    if (waterMark < 0) {
      throw new IllegalArgumentException("waterMark must be >= 0, was " + waterMark);
    }
    this.waterMark = waterMark;
  }

  // ---------------------------------------------------------------------------------------------- readers

  /**
   * Allocates a reader. Allocate readers before writing: a reader allocated after data was written starts at the
   * start of the current write block, so it sees only that block's data (Traffic Server's {@code alloc_reader});
   * earlier blocks may already be gone if no reader kept them. With no block (none yet, or all given back by
   * {@link #trim()}) it starts at the end: it sees what is written from now on.
   *
   * @return a new reader
   * @throws IllegalStateException {@code "an IOBuffer has at most 5 readers (docs/semantics.md, rule 4.3); free one
   *     first"} if five readers are live, or if the buffer is closed
   */
  public IOBufferReader allocReader() {
    ensureOpen();
    checkReaderRoom();
    IOBufferReader r;
    if (writer == null) {
      // No block (none yet, or all trimmed): the reader attaches to the next block and sees what is written from now.
      r = new IOBufferReader(this, null, 0, written);
    } else {
      r = new IOBufferReader(this, writer, writer.start, written - writer.readAvail());
    }
    link(r);
    return r;
  }

  /**
   * Returns the number of live readers.
   *
   * @return {@code 0..5}
   * @throws IllegalStateException if the buffer is closed
   */
  public int readerCount() {
    ensureOpen();
    return readerCount;
  }

  /** Allocates a reader at the same position as {@code src} (a reader of this buffer). */
  IOBufferReader cloneReader(IOBufferReader src) {
    checkReaderRoom();
    IOBufferReader r = new IOBufferReader(this, src.block, src.index, src.pos);
    link(r);
    return r;
  }

  private void checkReaderRoom() {
    if (readerCount == MAX_READERS) {
      throw new IllegalStateException(
          "an IOBuffer has at most " + MAX_READERS + " readers (docs/semantics.md, rule 4.3); free one first");
    }
  }

  private void link(IOBufferReader r) {
    r.nextLive = readers;
    readers = r;
    readerCount++;
  }

  /** Called by {@link IOBufferReader#free()} on a live reader of an open buffer. */
  void readerFreed(IOBufferReader r) {
    IOBufferReader prev = null;
    for (IOBufferReader x = readers; x != null; prev = x, x = x.nextLive) {
      if (x == r) {
        if (prev == null) {
          readers = x.nextLive;
        } else {
          prev.nextLive = x.nextLive;
        }
        x.nextLive = null;
        readerCount--;
        break;
      }
    }
    releaseUnneeded();
  }

  // ---------------------------------------------------------------------------------------------- writing

  /**
   * Appends all of {@code src}, adding blocks as needed. Ignores the water mark ({@code TSIOBufferWrite}).
   *
   * @param src the bytes to copy
   * @return {@code src.length}
   * @throws IllegalStateException if the buffer is closed
   */
  public long write(byte[] src) {
    return write(src, 0, src.length);
  }

  /**
   * Appends {@code len} bytes of {@code src} from {@code off}, adding blocks as needed. Ignores the water mark.
   *
   * @param src the bytes to copy
   * @param off where to start in {@code src}
   * @param len how many bytes to copy
   * @return {@code len}
   * @throws IndexOutOfBoundsException if {@code off} and {@code len} do not fit {@code src}
   * @throws IllegalStateException if the buffer is closed
   */
  public long write(byte[] src, int off, int len) {
    ensureOpen();
    Objects.checkFromIndexSize(off, len, src.length);
    int rem = len;
    while (rem > 0) {
      Block b = writableBlock();
      int n = Math.min(b.writeAvail(), rem);
      b.data.buffer.put(b.end, src, off, n);
      b.end += n;
      written += n;
      off += n;
      rem -= n;
    }
    return len;
  }

  /**
   * Appends all remaining bytes of {@code src} (advancing its position to its limit), adding blocks as needed.
   * Ignores the water mark.
   *
   * @param src the bytes to copy
   * @return how many bytes were copied: {@code src.remaining()} on entry
   * @throws IllegalStateException if the buffer is closed
   */
  public long write(ByteBuffer src) {
    ensureOpen();
    int len = src.remaining();
    int pos = src.position();
    int rem = len;
    while (rem > 0) {
      Block b = writableBlock();
      int n = Math.min(b.writeAvail(), rem);
      b.data.buffer.put(b.end, src, pos, n);
      b.end += n;
      written += n;
      pos += n;
      rem -= n;
    }
    src.position(pos);
    return len;
  }

  /**
   * Appends the first {@code len} readable bytes of {@code src} without consuming them: {@code write(src, len, 0)}.
   *
   * @param src a reader, of this or another buffer
   * @param len how many bytes to append
   * @return {@code len}
   * @throws IllegalArgumentException if {@code len < 0} or {@code len > src.readAvail()}
   * @throws IllegalStateException if this buffer is closed or {@code src} is freed
   */
  public long write(IOBufferReader src, long len) {
    return write(src, len, 0);
  }

  /**
   * Appends {@code len} bytes that start {@code offset} bytes after {@code src}'s read position, without consuming
   * them ({@code TSIOBufferCopy}). Each piece (the part of one source block in the range) of
   * {@link BufferSizes#COPY_THRESHOLD} bytes or more is appended by reference: a new read-only block shares the
   * source's storage, so nothing is copied. Smaller pieces are copied into this buffer's writable space. Ignores the
   * water mark.
   *
   * @param src a reader, of this or another buffer
   * @param len how many bytes to append
   * @param offset how many readable bytes of {@code src} to skip first
   * @return {@code len}
   * @throws IllegalArgumentException if {@code len} or {@code offset} is negative, or {@code len + offset} exceeds
   *     {@code src.readAvail()}
   * @throws IllegalStateException if this buffer is closed or {@code src} is freed
   */
  public long write(IOBufferReader src, long len, long offset) {
    ensureOpen();
    src.ensureLive();
    if (len < 0 || offset < 0) {
      throw new IllegalArgumentException(
          "write(reader, len=" + len + ", offset=" + offset + "): len and offset must be >= 0");
    }
    long avail = src.readAvail();
    if (len > avail - offset) {
      throw new IllegalArgumentException("write(reader, len=" + len + ", offset=" + offset
          + ") exceeds the reader's readAvail " + avail + " (len + offset must be <= readAvail)");
    }
    long rem = len;
    long skip = offset;
    Block b = src.block;
    int p = src.index;
    while (rem > 0) {
      int blockAvail = b.end - p;
      if (skip >= blockAvail) {
        skip -= blockAvail;
      } else {
        int from = p + (int) skip;
        skip = 0;
        int n = (int) Math.min(b.end - from, rem);
        if (n >= BufferSizes.COPY_THRESHOLD) {
          appendShared(b.data, from, from + n);
        } else {
          copySmall(b.data.buffer, from, n);
        }
        rem -= n;
        if (rem == 0) {
          break;
        }
      }
      b = b.next;
      p = b.start;
    }
    return len;
  }

  /**
   * Copies {@code n} bytes of {@code storage} from {@code from} into this buffer's writable space, storage to storage:
   * no intermediate array, so a buffer that receives small pieces allocates nothing for them.
   */
  private void copySmall(ByteBuffer storage, int from, int n) {
    while (n > 0) {
      Block b = writableBlock();
      int k = Math.min(b.writeAvail(), n);
      b.data.buffer.put(b.end, storage, from, k);
      b.end += k;
      written += k;
      from += k;
      n -= k;
    }
  }

  /** Appends a read-only block over {@code [from, to)} of {@code data}, after the write block, and makes it the writer. */
  private void appendShared(BlockData data, int from, int to) {
    data.retain();
    if (writer == null) {
      Block nb = window(data, nextSeq++, from, to, to, false);
      head = writer = tail = nb;
      attachWaitingReaders();
    } else {
      // The old writer's free space can no longer be used (data must stay in order): seal it.
      writer.writeLimit = writer.end;
      Block empties = writer.next;
      Block nb = window(data, writer.seq + 1, from, to, to, false);
      writer.next = nb;
      nb.next = empties;
      // Empty blocks after the writer keep their storage; renumber them (no reader points past the writer).
      long seq = nb.seq;
      Block last = nb;
      for (Block x = empties; x != null; x = x.next) {
        x.seq = ++seq;
        last = x;
      }
      tail = last;
      nextSeq = seq + 1;
      writer = nb;
      releaseUnneeded();
    }
    written += to - from;
  }

  /**
   * Returns the write block, with free space: adds a block if needed and moves the writer onto it. Used only when
   * there is something to write, as Traffic Server's {@code write} moves {@code _writer} only then.
   */
  private Block writableBlock() {
    if (writer == null) {
      appendNewBlock();
    }
    while (writer.writeAvail() == 0) {
      if (writer.next == null) {
        appendNewBlock();
      }
      writer = writer.next;
      releaseUnneeded();
    }
    return writer;
  }

  /** Appends a fresh block at the tail; the writer stays where it is unless there was none. */
  private void appendNewBlock() {
    BlockData d = pool.allocate(sizeIndex);
    Block b = window(d, nextSeq++, 0, 0, d.capacity(), true);
    if (tail == null) {
      head = writer = tail = b;
      attachWaitingReaders();
    } else {
      tail.next = b;
      tail = b;
    }
  }

  /**
   * A window over {@code data}, its owner if this buffer took it from the pool: the window parked with that storage
   * (see the class comment), else a kept one if there is one, else a new one.
   */
  private Block window(BlockData data, long seq, int start, int end, int writeLimit, boolean owner) {
    if (owner) {
      Block parked = data.takeParkedWindow();
      if (parked != null) {
        parked.rebind(data, seq, start, end, writeLimit, true);
        return parked;
      }
    }
    Block b = spareWindows;
    if (b == null) {
      return new Block(data, seq, start, end, writeLimit, owner);
    }
    spareWindows = b.next;
    spareWindowCount--;
    b.rebind(data, seq, start, end, writeLimit, owner);
    return b;
  }

  /** Releases a window no reader and not the writer can reach any more, and keeps it for reuse if there is room. */
  private void retire(Block b) {
    if (spareWindowCount < MAX_SPARE_WINDOWS) {
      b.release();
      b.next = spareWindows;
      spareWindows = b;
      spareWindowCount++;
    } else {
      b.releaseAndPark();
    }
  }

  /** Forgets the kept windows (close: a closed buffer keeps none). */
  private void dropSpareWindows() {
    spareWindows = null;
    spareWindowCount = 0;
  }

  /** Makes every kept window forget the storage it last framed (a trim that empties the buffer). */
  private void unbindSpareWindows() {
    for (Block b = spareWindows; b != null; b = b.next) {
      b.unbind();
    }
  }

  /** Readers allocated before the first block start at it (Traffic Server's {@code init_readers}). */
  private void attachWaitingReaders() {
    for (IOBufferReader r = readers; r != null; r = r.nextLive) {
      if (r.block == null) {
        r.block = head;
        r.index = head.start;
      }
    }
  }

  /** Drops blocks before the oldest one a reader or the writer still needs. */
  void releaseUnneeded() {
    if (head == null) {
      return;
    }
    long min = writer.seq;
    for (IOBufferReader r = readers; r != null; r = r.nextLive) {
      if (r.block != null && r.block.seq < min) {
        min = r.block.seq;
      }
    }
    while (head.seq < min) {
      Block b = head;
      head = b.next;
      retire(b);
    }
  }

  /**
   * Releases every block that holds no unread byte, so an idle buffer holds no pool storage (docs/semantics.md,
   * "Block pool and what an idle connection holds"). When no live reader has anything to read (or there is no
   * reader), the whole chain goes, the write block and its free space included; otherwise only the empty blocks
   * after the write block go. Readers stay valid: a drained reader attaches to the next block written and reads from there. Nothing
   * readable is lost, so this is safe at any point where the caller holds the buffer (for example when a connection
   * goes idle, or after a socket read found nothing); the cost is that the next write takes a block from the pool
   * again. The released windows are kept for reuse; a trim that releases the whole chain makes them forget their
   * storage (see the class comment).
   *
   * <p>Any view from {@link #writableBuffer()} or {@link IOBufferReader#readableBuffers} is invalid afterwards, as
   * after any call that changes the buffer.
   *
   * @return how many blocks were released
   * @throws IllegalStateException if the buffer is closed
   */
  public int trim() {
    ensureOpen();
    if (head == null) {
      return 0;
    }
    boolean drained = true;
    for (IOBufferReader r = readers; r != null; r = r.nextLive) {
      if (r.pos != written) {
        drained = false;
        break;
      }
    }
    Block from;
    if (drained) {
      from = head;
      head = writer = tail = null;
      for (IOBufferReader r = readers; r != null; r = r.nextLive) {
        r.block = null;
        r.index = 0;
      }
    } else {
      from = writer.next;
      writer.next = null;
      tail = writer;
      nextSeq = writer.seq + 1;
    }
    int released = 0;
    while (from != null) {
      Block n = from.next;
      retire(from);
      released++;
      from = n;
    }
    if (drained) {
      unbindSpareWindows();
    }
    return released;
  }

  // ---------------------------------------------------------------------------------------------- in-place writes

  /**
   * Returns a view of the first writable block's free space, for writing in place (for example a socket read into
   * pooled direct memory): position is the block's current end, limit its capacity end. If there is no free space a
   * block is added first (ignoring the water mark; ask {@link #writeAvail()} first to honour it). Commit what was
   * written with {@link #fill(long)}.
   *
   * <p>The view is cached per block and only repositioned: it stays valid until the next call that changes this
   * buffer. Do not keep it.
   *
   * @return a view with {@code remaining() == blockWriteAvail()}, at least 1
   * @throws IllegalStateException if the buffer is closed
   */
  public ByteBuffer writableBuffer() {
    ensureOpen();
    Block b = firstWriteBlock();
    if (b == null || b.writeAvail() == 0) {
      addBlock();
      b = firstWriteBlock();
    }
    return b.writeView();
  }

  /**
   * Commits {@code n} bytes written in place into the view from {@link #writableBuffer()}
   * ({@code TSIOBufferProduce}): they become readable.
   *
   * @param n how many bytes were written, from the view's original position
   * @throws IllegalArgumentException if {@code n < 0}, or {@code n > blockWriteAvail()} (a commit covers at most the
   *     free space of the first writable block, which is what {@code writableBuffer()} exposed)
   * @throws IllegalStateException if the buffer is closed
   */
  public void fill(long n) {
    ensureOpen();
    if (n < 0) {
      throw new IllegalArgumentException("fill(" + n + "): n must be >= 0");
    }
    if (n == 0) {
      return;
    }
    Block b = firstWriteBlock();
    long avail = b == null ? 0 : b.writeAvail();
    if (n > avail) {
      throw new IllegalArgumentException("fill(" + n + ") exceeds the write block's free space " + avail
          + " (commit at most what writableBuffer() exposed)");
    }
    if (b != writer) {
      writer = b;
      releaseUnneeded();
    }
    b.end += (int) n;
    written += n;
  }

  /**
   * Fills {@code dst} with views over free space for a scattering read ({@code ScatteringByteChannel.read(
   * ByteBuffer[])}): the first writable block's free space (as {@link #writableBuffer()}), then the free space of the
   * blocks after it, adding blocks from the pool (ignoring the water mark) until the views cover {@code maxBytes} or
   * {@code dst} is full. Commit what was written with {@link #fillBuffers(long)}, which gives back the blocks added
   * here that stayed empty. The views are cached per block and only repositioned, as {@link #writableBuffer()}'s.
   *
   * @param dst where to put the views, from index 0
   * @param maxBytes the most bytes the views may cover in total, at least 1
   * @return how many entries of {@code dst} were filled, at least 1 when {@code dst} is not empty
   * @throws IllegalArgumentException if {@code maxBytes < 1}
   * @throws IllegalStateException if the buffer is closed
   */
  public int writableBuffers(ByteBuffer[] dst, long maxBytes) {
    ensureOpen();
    if (maxBytes < 1) {
      throw new IllegalArgumentException("writableBuffers(maxBytes=" + maxBytes + "): maxBytes must be >= 1");
    }
    if (dst.length == 0) {
      return 0;
    }
    Block b = firstWriteBlock();
    if (b == null || b.writeAvail() == 0) {
      addBlock();
      b = firstWriteBlock();
    }
    long rem = maxBytes;
    int count = 0;
    while (true) {
      ByteBuffer v = b.writeView();
      if (v.remaining() > rem) {
        v.limit(v.position() + (int) rem);
      }
      dst[count++] = v;
      rem -= v.remaining();
      if (rem == 0 || count == dst.length) {
        return count;
      }
      if (b.next == null) {
        appendNewBlock();
      }
      b = b.next;
    }
  }

  /**
   * Commits {@code n} bytes written in place, in order, into the views from {@link #writableBuffers}: they become
   * readable, and the write block moves to the last block they reached. Empty blocks after the write block are then
   * given back to the pool while the write block still has free space (they were added for the views), so a
   * scattering read that took little holds no more blocks than a plain one.
   *
   * @param n how many bytes were written, from the first view's original position
   * @throws IllegalArgumentException if {@code n < 0}, or {@code "fillBuffers(<n>) exceeds the free space <avail> of
   *     the write block and the blocks after it (commit at most what writableBuffers() exposed)"}
   * @throws IllegalStateException if the buffer is closed
   */
  public void fillBuffers(long n) {
    ensureOpen();
    if (n < 0) {
      throw new IllegalArgumentException("fillBuffers(" + n + "): n must be >= 0");
    }
    Block b = firstWriteBlock();
    long avail = 0;
    for (Block x = b; x != null; x = x.next) {
      avail += x.writeAvail();
    }
    if (n > avail) {
      throw new IllegalArgumentException("fillBuffers(" + n + ") exceeds the free space " + avail
          + " of the write block and the blocks after it (commit at most what writableBuffers() exposed)");
    }
    long rem = n;
    while (rem > 0) {
      int take = (int) Math.min(rem, b.writeAvail());
      if (b != writer) {
        writer = b;
        releaseUnneeded();
      }
      b.end += take;
      written += take;
      rem -= take;
      if (rem > 0) {
        b = b.next;
      }
    }
    Block w = writer;
    if (w != null && w.writeAvail() > 0 && w.next != null) {
      Block from = w.next;
      w.next = null;
      tail = w;
      nextSeq = w.seq + 1;
      while (from != null) {
        Block next = from.next;
        retire(from);
        from = next;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------- space queries

  /** Traffic Server's {@code first_write_block}: the writer, or the block after it when the writer is full. */
  Block firstWriteBlock() {
    Block w = writer;
    if (w != null && w.next != null && w.writeAvail() == 0) {
      return w.next;
    }
    return w;
  }

  /**
   * Returns the free space of the first writable block ({@code block_write_avail}).
   *
   * @return the free space of the write block, or of the block after it if the write block is full; 0 with no block
   * @throws IllegalStateException if the buffer is closed
   */
  public long blockWriteAvail() {
    ensureOpen();
    Block b = firstWriteBlock();
    return b == null ? 0 : b.writeAvail();
  }

  /**
   * Returns the free space of the write block and the blocks after it ({@code current_write_avail}). Never adds a
   * block.
   *
   * @return the free space already allocated
   * @throws IllegalStateException if the buffer is closed
   */
  public long currentWriteAvail() {
    ensureOpen();
    long t = 0;
    for (Block b = writer; b != null; b = b.next) {
      t += b.writeAvail();
    }
    return t;
  }

  /**
   * Returns the free space after adding one block if {@code !highWater() && currentLowWater()}
   * ({@code write_avail}: {@code check_add_block} then {@code current_write_avail}). A block is added only when there
   * is none after the write block. So with water mark 0 a block is added only when every reader has consumed
   * everything and no space is left; with water mark W blocks keep being added while unconsumed data is at most W.
   *
   * @return the free space a space-driven producer may fill
   * @throws IllegalStateException if the buffer is closed
   */
  public long writeAvail() {
    ensureOpen();
    if (!highWater() && currentLowWater()) {
      addBlock();
    }
    return currentWriteAvail();
  }

  /** Traffic Server's {@code add_block}: appends a block only if the writer has no next block. */
  private void addBlock() {
    if (writer == null || writer.next == null) {
      appendNewBlock();
    }
  }

  /**
   * Returns the largest {@code readAvail()} over the live readers; with no reader, the write block's readable bytes.
   *
   * @return the most unconsumed data
   * @throws IllegalStateException if the buffer is closed
   */
  public long maxReadAvail() {
    ensureOpen();
    if (readerCount == 0) {
      return writer == null ? 0 : writer.readAvail();
    }
    long max = 0;
    for (IOBufferReader r = readers; r != null; r = r.nextLive) {
      max = Math.max(max, written - r.pos);
    }
    return max;
  }

  /**
   * Tells whether unconsumed data exceeds the water mark: {@code maxReadAvail() > waterMark()}.
   *
   * @return true above the water mark
   * @throws IllegalStateException if the buffer is closed
   */
  public boolean highWater() {
    return maxReadAvail() > waterMark;
  }

  /**
   * Tells whether allocated free space is at most the water mark: {@code currentWriteAvail() <= waterMark()}. Never
   * adds a block.
   *
   * @return true when free space is low
   * @throws IllegalStateException if the buffer is closed
   */
  public boolean currentLowWater() {
    return currentWriteAvail() <= waterMark;
  }

  /**
   * Tells whether free space is at most the water mark after {@link #writeAvail()} (which may add a block):
   * {@code writeAvail() <= waterMark()}.
   *
   * @return true when free space is low
   * @throws IllegalStateException if the buffer is closed
   */
  public boolean lowWater() {
    return writeAvail() <= waterMark;
  }

  // ---------------------------------------------------------------------------------------------- life cycle

  /**
   * Frees every reader and releases every block reference this buffer holds; storage goes back to the pool unless
   * another buffer still shares it. Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    IOBufferReader r = readers;
    readers = null;
    while (r != null) {
      IOBufferReader n = r.nextLive;
      r.nextLive = null;
      r.detach();
      r = n;
    }
    readerCount = 0;
    Block b = head;
    head = writer = tail = null;
    while (b != null) {
      Block n = b.next;
      b.releaseAndPark();
      b = n;
    }
    dropSpareWindows();
  }

  /**
   * Tells whether {@link #close()} was called.
   *
   * @return true once closed
   */
  public boolean isClosed() {
    return closed;
  }

  void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("IOBuffer is closed");
    }
  }

  /** Number of released windows kept for reuse (for tests). */
  int spareWindowCount() {
    return spareWindowCount;
  }

  /** Number of kept windows that still frame storage (for tests). */
  int boundSpareWindowCount() {
    int n = 0;
    for (Block b = spareWindows; b != null; b = b.next) {
      if (b.data != null) {
        n++;
      }
    }
    return n;
  }

  /** Number of blocks in the chain (for tests). */
  int blockCount() {
    int n = 0;
    for (Block b = head; b != null; b = b.next) {
      n++;
    }
    return n;
  }

  /**
   * Describes the buffer for debugging: size index, water mark, readers, blocks and bytes written.
   *
   * @return a debugging description
   */
  @Override
  public String toString() {
    if (closed) {
      return "IOBuffer[closed, sizeIndex=" + sizeIndex + "]";
    }
    return "IOBuffer[sizeIndex=" + sizeIndex + ", waterMark=" + waterMark + ", readers=" + readerCount
        + ", blocks=" + blockCount() + ", written=" + written + "]";
  }
}
