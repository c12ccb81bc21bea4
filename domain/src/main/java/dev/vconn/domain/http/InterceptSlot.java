package dev.vconn.domain.http;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VIO;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.pair.VConnPair;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What a client session lends its intercepted transactions, one at a time (docs/http.md, Object lifetimes): the read
 * buffer for the intercept's response and the timer that watches the intercept's inactivity; and the options of
 * their pairs, which differ only by id.
 *
 * <p>The buffer, given back, is emptied: what the intercept sent beyond its response is consumed and the buffer
 * trimmed, so it holds no block between transactions and the next transaction reads only what its own intercept sends
 * (the closed end that filled it had its read retired before it was given back, so nothing more lands in it). A buffer
 * that gained a reader of its own (a blind tunnel's) is closed instead, as is the buffer once the session closed.
 *
 * <p>The timer is a {@link TimerSlot}: one loop timer per session whose deadline moves, instead of an inactivity
 * timer armed on each intercept's VConn and cancelled when it closes. The transaction arms it with the inactivity
 * timeout and moves it on each event of the intercept's VIOs (each follows bytes moved, the activity a VConn's own
 * timer counts); when it expires, the transaction gets INACTIVITY_TIMEOUT on the intercept's read VIO, else its write
 * VIO (docs/semantics.md, rule 3.6), once, until the next event arms it again; not once those VIOs are another
 * continuation's (a blind tunnel after an accepted 101 times the VConn itself). Confined to the session's lock, like
 * the transaction that borrows it.
 */
final class InterceptSlot {
  /** What the slot's timer is armed for. */
  private enum Watch { INACTIVITY }

  private final BlockPool pool;
  private final int sizeIndex;
  private final TimerSlot<Watch> timer;
  private IOBuffer buffer;
  private IOBufferReader reader;
  private boolean lent;
  private boolean sessionClosed;
  /** The borrower's intercept VConn and the continuation its timeout goes to; null while not watched. */
  private VConn watched;
  private Continuation watcher;
  private Duration inactivity;
  /** The pair options of the session's intercepts, but for their id (each pair gets its transaction's). */
  private VConnPair.Options pairOptions;

  /** A slot whose timer runs on {@code loop} under {@code lock} (the session's). */
  InterceptSlot(BlockPool pool, int sizeIndex, EventLoop loop, ReentrantLock lock) {
    this.pool = pool;
    this.sizeIndex = sizeIndex;
    this.timer = new TimerSlot<>(loop, new Continuation(this::timerEvent, lock));
  }

  /** Lends the buffer (made on first use); false if it is lent already or the session closed. */
  boolean lend() {
    if (lent || sessionClosed) {
      return false;
    }
    if (buffer == null) {
      buffer = new IOBuffer(pool, sizeIndex);
      reader = buffer.allocReader();
    }
    lent = true;
    return true;
  }

  /**
   * The options for an intercept's pair, with id 0: one record per session while tag, block size and client address
   * stay the same (a configuration reload may change the block size), for {@link VConnPair#open(EventLoop,
   * VConnPair.Options, long)} to give each pair its transaction's id.
   */
  VConnPair.Options pairOptions(String tag, int bufferIndex, SocketAddress clientAddress) {
    VConnPair.Options o = pairOptions;
    if (o == null || !o.tag().equals(tag) || o.bufferIndex() != bufferIndex || o.clientAddress() != clientAddress) {
      o = new VConnPair.Options(tag, 0, bufferIndex, 0, clientAddress);
      pairOptions = o;
    }
    return o;
  }

  IOBuffer buffer() {
    return buffer;
  }

  IOBufferReader reader() {
    return reader;
  }

  /**
   * Arms the inactivity timer for the borrower's intercept {@code vconn}: due {@code timeout} from now and after each
   * {@link #activity()}; its INACTIVITY_TIMEOUT goes to {@code target}.
   */
  void watch(VConn vconn, Continuation target, Duration timeout) {
    if (!lent || sessionClosed) {
      return;
    }
    watched = vconn;
    watcher = target;
    inactivity = timeout;
    timer.arm(Watch.INACTIVITY, timeout);
  }

  /** The watched intercept moved bytes: its inactivity deadline starts again. */
  void activity() {
    if (watched != null) {
      timer.arm(Watch.INACTIVITY, inactivity);
    }
  }

  private void timerEvent(Event event, Object data) {
    if (timer.fired(data) == null || watched == null) {
      return; // disarmed, moved later (scheduled again), or the session closed
    }
    VIO target = watched.readVio() != null ? watched.readVio() : watched.writeVio();
    // Only to the borrower's own operations: once a blind tunnel (an accepted 101) posted its own on the VConn, the
    // tunnel times it with the VConn's own timer, as it does every VConn it splices.
    if (target != null && target.continuation() == watcher) {
      watcher.call(Event.INACTIVITY_TIMEOUT, target);
    }
  }

  /** The borrower is done (its VConn closed): the timer is disarmed, the buffer emptied for the next one or closed. */
  void giveBack() {
    lent = false;
    watched = null;
    watcher = null;
    timer.cancel();
    if (sessionClosed || buffer.readerCount() != 1) {
      close();
      return;
    }
    reader.consume(reader.readAvail());
    buffer.trim();
  }

  /** The session closed: the timer is released; the buffer is closed now, or when the borrower gives it back. */
  void sessionClosed() {
    sessionClosed = true;
    watched = null;
    watcher = null;
    timer.release();
    if (!lent) {
      close();
    }
  }

  private void close() {
    if (buffer != null) {
      buffer.close();
      buffer = null;
      reader = null;
    }
  }
}
