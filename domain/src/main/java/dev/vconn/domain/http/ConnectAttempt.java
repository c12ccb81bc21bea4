package dev.vconn.domain.http;

/**
 * Origin connect: one outbound connection attempt of a transaction. The transaction machine ({@link HttpSM}) routes
 * the connector's event through its control continuation with the attempt as the data, so the event is matched to
 * the transaction and the pool reservation (its {@code host:port} key) it belongs to; an attempt the transaction no
 * longer waits for closes what it connected and gives the reservation back.
 */
final class ConnectAttempt {
  final HttpTransaction txn;
  /** The origin's {@code host:port}, the key of its pool reservation. */
  final String key;
  /** Whether the attempt holds a pool reservation; a CONNECT tunnel's does not (it never uses the pool). */
  boolean reserved = true;
  /** What the connector reported: the connected VConn, or its error. */
  Object result;

  ConnectAttempt(HttpTransaction txn, String key) {
    this.txn = txn;
    this.key = key;
  }
}
