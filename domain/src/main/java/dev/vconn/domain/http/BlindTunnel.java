package dev.vconn.domain.http;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventHandler;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VIO;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A blind two-way tunnel (Traffic Server's blind tunnel in {@code HttpTunnel}): splices two VConns so that what one
 * side sends the other receives, both ways at once, without looking at the bytes. CONNECT tunnels and plugins that
 * splice an intercept to a socket of their own use it.
 *
 * <p>Each direction reads from its source into one buffer that a write VIO on the other side drains. The read stops
 * by itself once that buffer holds its bound (docs/semantics.md, rule 3.5: the buffer's block size, it has no water
 * mark) and the write's WRITE_READY (room freed) reenables it, so neither direction ever holds more than about one
 * block whatever the speeds of the two sides. Bytes the owner already read ahead from a side (a client's bytes
 * pipelined after a CONNECT head, say) are passed in at construction and go out before anything read later.
 *
 * <p>EOS on a side is passed on as {@code shutdown(WRITE)} on the other side once the buffered bytes are out
 * (half-close); the other direction keeps running. A write that fails (the side it goes to closed: an in-process
 * pair says so at once) ends only that direction, so that the bytes the closed side sent before it closed still
 * reach the other side. The tunnel ends when both directions ended, when a read reports an error (a reset, say),
 * when a side is idle past the inactivity timeout, or when the owner calls {@link #close()}: it then closes both
 * VConns, frees its buffers and reports a {@link Result} once, on the completion callback, under its lock.
 */
public final class BlindTunnel implements EventHandler {

  /** Why a tunnel ended. */
  public enum End {
    /** Both directions saw EOS and passed it on. */
    COMPLETED,
    /** A side reported an error (for example a reset), or a direction could not be written to its end. */
    ERROR,
    /** A side made no progress within the inactivity timeout (or hit its active timeout). */
    TIMEOUT,
    /** The owner closed the tunnel. */
    CLOSED
  }

  /**
   * What a finished tunnel did.
   *
   * @param bytesAToB bytes written to side B (read-ahead bytes included)
   * @param bytesBToA bytes written to side A (read-ahead bytes included)
   * @param duration from {@link #start()} to the end, on side A's loop clock
   * @param end why it ended
   */
  public record Result(long bytesAToB, long bytesBToA, Duration duration, End end) {}

  /** One direction: a read from the source into a buffer that the sink's write drains. */
  private static final class Direction {
    final VConn source;
    final VConn sink;
    final IOBuffer buffer;
    final IOBufferReader reader;
    ReadVio read;
    WriteVio write;
    boolean eos;
    boolean done;
    /** Its write failed: nothing more goes this way. */
    boolean failed;

    Direction(VConn source, VConn sink, BlockPool pool) {
      this.source = source;
      this.sink = sink;
      this.buffer = new IOBuffer(pool);
      this.reader = buffer.allocReader();
    }

    long written() {
      return write == null ? 0 : write.ndone();
    }
  }

  private final VConn a;
  private final VConn b;
  private final Duration inactivity;
  private final Consumer<Result> onEnd;
  private final Continuation self;
  private final Direction aToB;
  private final Direction bToA;
  private long startNanos;
  private boolean started;
  private boolean ended;

  /**
   * Creates a tunnel; nothing moves until {@link #start()}.
   *
   * @param a one side
   * @param b the other side
   * @param pool where the two direction buffers come from (every block goes back when the tunnel ends)
   * @param aReadAhead bytes already read from side A, to be sent to B first, or null; the tunnel consumes them at
   *     construction and the caller keeps owning (and frees) the reader
   * @param bReadAhead bytes already read from side B, to be sent to A first, or null (as for {@code aReadAhead})
   * @param inactivity how long a side may make no progress before the tunnel ends with {@link End#TIMEOUT}
   * @param onEnd called once with the result when the tunnel ended
   */
  public BlindTunnel(VConn a, VConn b, BlockPool pool, IOBufferReader aReadAhead, IOBufferReader bReadAhead,
      Duration inactivity, Consumer<Result> onEnd) {
    this.a = Objects.requireNonNull(a, "a");
    this.b = Objects.requireNonNull(b, "b");
    if (a == b) {
      throw new IllegalArgumentException("a blind tunnel needs two different VConns");
    }
    Objects.requireNonNull(pool, "pool");
    this.inactivity = Objects.requireNonNull(inactivity, "inactivity");
    if (inactivity.isNegative() || inactivity.isZero()) {
      throw new IllegalArgumentException("tunnel inactivity timeout must be positive, was " + inactivity);
    }
    this.onEnd = Objects.requireNonNull(onEnd, "onEnd");
    this.self = new Continuation(this);
    this.aToB = new Direction(a, b, pool);
    this.bToA = new Direction(b, a, pool);
    takeReadAhead(aToB, aReadAhead);
    takeReadAhead(bToA, bReadAhead);
  }

  private static void takeReadAhead(Direction d, IOBufferReader readAhead) {
    if (readAhead != null && readAhead.readAvail() > 0) {
      long n = readAhead.readAvail();
      d.buffer.write(readAhead, n);
      readAhead.consume(n);
    }
  }

  /**
   * Starts both directions (takes the tunnel's lock; call it once).
   *
   * @throws IllegalStateException if the tunnel was started before
   */
  public void start() {
    self.lock().lock();
    try {
      if (started) {
        throw new IllegalStateException("BlindTunnel.start() called twice");
      }
      started = true;
      startNanos = a.eventLoop().nanoTime();
      a.setInactivityTimeout(inactivity);
      b.setInactivityTimeout(inactivity);
      aToB.read = a.read(self, Long.MAX_VALUE, aToB.buffer);
      bToA.read = b.read(self, Long.MAX_VALUE, bToA.buffer);
      if (!ended) {
        aToB.write = b.write(self, Long.MAX_VALUE, aToB.reader);
      }
      if (!ended) {
        bToA.write = a.write(self, Long.MAX_VALUE, bToA.reader);
      }
      // An EOS seen before the writes existed is passed on now.
      for (Direction d : new Direction[] {aToB, bToA}) {
        if (!ended && d.eos) {
          finish(d);
        }
      }
    } finally {
      self.lock().unlock();
    }
  }

  /** Ends the tunnel now with {@link End#CLOSED} (takes the lock; nothing happens if it already ended). */
  public void close() {
    self.lock().lock();
    try {
      end(End.CLOSED);
    } finally {
      self.lock().unlock();
    }
  }

  /**
   * Bytes buffered in the tunnel right now, both directions together (what backpressure keeps bounded).
   *
   * @return the unsent bytes the tunnel holds
   */
  public long bufferedBytes() {
    self.lock().lock();
    try {
      return ended ? 0 : aToB.reader.readAvail() + bToA.reader.readAvail();
    } finally {
      self.lock().unlock();
    }
  }

  @Override
  public void handle(Event event, Object data) {
    if (ended || !(data instanceof VIO vio)) {
      return;
    }
    switch (event) {
      case READ_READY -> {
        Direction d = bySource(vio);
        if (d.write != null && !d.failed) {
          d.write.reenable(); // new bytes to pass on
        }
      }
      case WRITE_READY -> {
        Direction d = bySink(vio);
        if (!d.eos) {
          d.read.reenable(); // the write took bytes: room to read more
        }
      }
      case EOS, READ_COMPLETE -> {
        Direction d = bySource(vio);
        d.eos = true;
        if (d.write != null && !d.failed) {
          finish(d);
        }
      }
      case WRITE_COMPLETE -> written(bySink(vio));
      case ERROR -> {
        if (vio instanceof WriteVio) {
          // The sink went away. What the other direction holds or still reads came from that very side before it
          // went: it still goes out, and the tunnel ends when that direction ends too.
          Direction d = bySink(vio);
          d.failed = true;
          d.done = true;
          endIfBothDone();
        } else {
          end(End.ERROR);
        }
      }
      case INACTIVITY_TIMEOUT, ACTIVE_TIMEOUT -> end(End.TIMEOUT);
      default -> end(End.ERROR);
    }
  }

  private void endIfBothDone() {
    if (aToB.done && bToA.done) {
      end(aToB.failed || bToA.failed ? End.ERROR : End.COMPLETED);
    }
  }

  /** The source ended: the write completes once what is buffered is out. */
  private void finish(Direction d) {
    long total = d.write.ndone() + d.reader.readAvail();
    d.write.setNBytes(total);
    if (total == 0) {
      // Nothing ever went this way: a write of 0 bytes gets no events (docs/semantics.md, rule 3.2), so no
      // WRITE_COMPLETE would pass the end on. It is done now.
      written(d);
    } else {
      d.write.reenable();
    }
  }

  /** Everything the source sent is out: pass the end of the stream on. */
  private void written(Direction d) {
    d.done = true;
    d.sink.shutdown(ShutdownHow.WRITE);
    endIfBothDone();
  }

  private Direction bySource(VIO vio) {
    return vio.vconn() == a ? aToB : bToA;
  }

  private Direction bySink(VIO vio) {
    return vio.vconn() == b ? aToB : bToA;
  }

  private void end(End why) {
    if (ended) {
      return;
    }
    ended = true;
    long bytesAToB = aToB.written();
    long bytesBToA = bToA.written();
    a.close();
    b.close();
    aToB.buffer.close();
    bToA.buffer.close();
    long nanos = started ? a.eventLoop().nanoTime() - startNanos : 0;
    onEnd.accept(new Result(bytesAToB, bytesBToA, Duration.ofNanos(nanos), why));
  }

  @Override
  public String toString() {
    return "BlindTunnel[" + a + " <-> " + b + (ended ? ", ended" : "") + "]";
  }
}
