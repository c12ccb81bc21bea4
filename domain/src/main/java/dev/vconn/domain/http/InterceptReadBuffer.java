package dev.vconn.domain.http;

import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;

/**
 * The read buffer a client session lends to its intercepted transactions, one at a time, for the intercept's response
 * (docs/http.md, Object lifetimes). Given back, it is emptied: what the intercept sent beyond its response is consumed
 * and the buffer trimmed, so it holds no block between transactions and the next transaction reads only what its own
 * intercept sends (the closed end that filled it had its read retired before it was given back, so nothing more lands
 * in it). A buffer that gained a reader of its own (a blind tunnel's) is closed instead, as is the buffer once the
 * session closed. Confined to the session's lock, like the transaction that borrows it.
 */
final class InterceptReadBuffer {
  private final BlockPool pool;
  private final int sizeIndex;
  private IOBuffer buffer;
  private IOBufferReader reader;
  private boolean lent;
  private boolean sessionClosed;

  InterceptReadBuffer(BlockPool pool, int sizeIndex) {
    this.pool = pool;
    this.sizeIndex = sizeIndex;
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

  IOBuffer buffer() {
    return buffer;
  }

  IOBufferReader reader() {
    return reader;
  }

  /** The borrower is done with it (its VConn closed): emptied for the next transaction, or closed. */
  void giveBack() {
    lent = false;
    if (sessionClosed || buffer.readerCount() != 1) {
      close();
      return;
    }
    reader.consume(reader.readAvail());
    buffer.trim();
  }

  /** The session closed: the buffer is closed now, or when the transaction that borrowed it gives it back. */
  void sessionClosed() {
    sessionClosed = true;
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
