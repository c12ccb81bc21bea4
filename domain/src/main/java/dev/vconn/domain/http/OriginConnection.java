package dev.vconn.domain.http;

import dev.vconn.domain.CloseState;
import dev.vconn.domain.Continuation;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.VConn;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.time.Duration;
import java.util.function.BiConsumer;

/**
 * A connection to an origin (or to an intercepting plugin) with its read buffer; the two travel together in and
 * out of the keep-alive pool.
 */
final class OriginConnection {
  final VConn vconn;
  final String key;
  final IOBuffer readBuffer;
  final IOBufferReader reader;
  final boolean poolable;
  /**
   * The PROXY protocol header this connection announced (as ISO-8859-1 text): only a client connection that
   * announces the same may use it (the pool keys its idle connections by it); null when it announced nobody and
   * anybody may use it.
   */
  final String owner;
  /** The PROXY protocol header still to be sent before the first request; null when none is (left) to send. */
  byte[] preamble;
  private boolean closed;
  private Continuation watcher;
  private BiConsumer<OriginConnection, Object> onIdleEvent;
  /** The session's buffer this intercept connection borrowed as its read buffer; null when it has its own. */
  private final InterceptSlot borrowed;
  /** Its origin's counts in the pool, once the pool looked them up; guarded by the pool's monitor. */
  OriginPool.OriginCounts counts;
  /** The read the pool's watcher posted while the connection is idle; null while a session uses it. */
  volatile ReadVio idleRead;

  OriginConnection(VConn vconn, String key, BlockPool pool, int bufferIndex, long headLimit, boolean poolable) {
    this(vconn, key, pool, bufferIndex, headLimit, poolable, null, null);
  }

  /**
   * A new connection that first sends {@code preamble} (a PROXY protocol header) and then serves only client
   * connections announced by the same header, {@code owner}.
   */
  OriginConnection(VConn vconn, String key, BlockPool pool, int bufferIndex, long headLimit, boolean poolable,
      String owner, byte[] preamble) {
    this.owner = owner;
    this.preamble = preamble;
    this.vconn = vconn;
    this.key = key;
    this.readBuffer = new IOBuffer(pool, bufferIndex);
    // Let a response head up to the limit in even when it is bigger than one block (semantics.md rule 3.5 read-ahead).
    this.readBuffer.setWaterMark(headLimit);
    this.reader = readBuffer.allocReader();
    this.poolable = poolable;
    this.borrowed = null;
  }

  /**
   * An intercept's connection that reads into the session's buffer {@code lent} (already lent to it); closing the
   * connection gives the buffer back instead of closing it. Never pooled.
   */
  OriginConnection(VConn vconn, String key, InterceptSlot lent, long headLimit) {
    this.owner = null;
    this.preamble = null;
    this.vconn = vconn;
    this.key = key;
    this.readBuffer = lent.buffer();
    this.readBuffer.setWaterMark(headLimit);
    this.reader = lent.reader();
    this.poolable = false;
    this.borrowed = lent;
  }

  /**
   * The continuation that watches this connection while it is idle in the pool; created on first use, with its own
   * lock.
   */
  synchronized Continuation watcher(BiConsumer<OriginConnection, Object> onEvent) {
    if (onEvent != null) {
      onIdleEvent = onEvent;
    }
    if (watcher == null) {
      watcher = new Continuation((event, data) -> onIdleEvent.accept(this, data));
    }
    return watcher;
  }

  /**
   * Whether an idle connection can carry another request, as far as the VConn can tell without waiting for an
   * event: open both ways, no error seen (an in-process peer's close or a reset sets it at once), the watcher's
   * read still the current one and nothing arrived on it (not a byte, pushed or read, not yet reported). A FIN that
   * only the next read pass will find is invisible here; the session retries such a failure on a new connection
   * (docs/http.md, Origins).
   */
  boolean isSoundWhileIdle() {
    ReadVio r = idleRead;
    return !closed && vconn.closeState() == CloseState.OPEN && vconn.error() == null && !vconn.isReadShutdown()
        && !vconn.isWriteShutdown() && r != null && vconn.readVio() == r && !r.isRetired() && !r.isComplete()
        && r.ndone() == 0 && reader.readAvail() == 0;
  }

  boolean isClosed() {
    return closed;
  }

  /**
   * Sets the connection's inactivity timeout, whose INACTIVITY_TIMEOUT goes to {@code target}: the VConn's own timer,
   * or for an intercept that borrowed the session's slot, the slot's timer (no timer armed per transaction).
   */
  void watchInactivity(Duration timeout, Continuation target) {
    if (borrowed != null) {
      borrowed.watch(vconn, target, timeout);
    } else {
      vconn.setInactivityTimeout(timeout);
    }
  }

  /** An event of this connection's VIOs (bytes moved): a borrowed slot's inactivity deadline starts again. */
  void activity() {
    if (borrowed != null) {
      borrowed.activity();
    }
  }

  /**
   * Closes the VConn and frees the buffer (gives a borrowed one back, after the close retired the read that filled
   * it); idempotent. Call under the lock of the VConn's current VIO owner.
   */
  void close() {
    if (closed) {
      return;
    }
    closed = true;
    vconn.close();
    if (borrowed != null) {
      borrowed.giveBack();
    } else {
      readBuffer.close();
    }
  }
}
