package dev.vconn.domain.http;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.VConn;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
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
  private boolean closed;
  private Continuation watcher;
  private BiConsumer<OriginConnection, Object> onIdleEvent;

  OriginConnection(VConn vconn, String key, BlockPool pool, int bufferIndex, long headLimit, boolean poolable) {
    this.vconn = vconn;
    this.key = key;
    this.readBuffer = new IOBuffer(pool, bufferIndex);
    // Let a response head up to the limit in even when it is bigger than one block (semantics.md rule 3.5 read-ahead).
    this.readBuffer.setWaterMark(headLimit);
    this.reader = readBuffer.allocReader();
    this.poolable = poolable;
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

  boolean isClosed() {
    return closed;
  }

  /** Closes the VConn and frees the buffer; idempotent. Call under the lock of the VConn's current VIO owner. */
  void close() {
    if (closed) {
      return;
    }
    closed = true;
    vconn.close();
    readBuffer.close();
  }
}
