package dev.vconn.domain.http;

/**
 * One transaction's use of an {@link UpstreamGroup}: the member of the current attempt and the members tried so far,
 * so a retry goes to another member. Each attempt counts as in flight until the next attempt or the end of the
 * transaction, and as a failure or a success at most once. Used under the transaction's lock.
 */
final class UpstreamChoice {
  final UpstreamGroup group;
  private UpstreamGroup.Member current;
  private boolean outcomeCounted;
  private long tried;

  UpstreamChoice(UpstreamGroup group) {
    this.group = group;
  }

  /** Ends the current attempt and chooses the member of the next; null if no member is available. */
  UpstreamGroup.Origin next() {
    release();
    current = group.select(tried);
    if (current == null) {
      return null;
    }
    outcomeCounted = false;
    tried |= 1L << current.index;
    return current.origin;
  }

  /** The current attempt failed before its response head. */
  void failed(String reason) {
    if (current != null && !outcomeCounted) {
      outcomeCounted = true;
      group.failed(current, reason);
    }
  }

  /** The current attempt got a response head. */
  void succeeded() {
    if (current != null && !outcomeCounted) {
      outcomeCounted = true;
      group.succeeded(current);
    }
  }

  /** The current attempt is over; idempotent. */
  void release() {
    if (current != null) {
      group.release(current);
      current = null;
    }
  }
}
