package dev.vconn.domain.http;

import dev.vconn.domain.Event;

/**
 * The transaction hooks a plugin can add a continuation to, after Traffic Server's {@code TS_HTTP_*_HOOK}s. A hook
 * continuation receives {@link #event()} with the {@link HttpTxn} as data, under its own lock on the client
 * connection's event loop, and must resume the transaction with {@link HttpTxn#reenable()} (from any thread, at any
 * later time).
 */
public enum HttpHookId {
  /** The client's request head was read and parsed; it may be changed, intercepted or answered with an error. */
  READ_REQUEST_HDR(Event.HTTP_READ_REQUEST_HDR),
  /** The request head is about to be written to the origin (or intercept); {@link HttpTxn#serverRequest()} may be changed. */
  SEND_REQUEST_HDR(Event.HTTP_SEND_REQUEST_HDR),
  /** The origin's response head was read; a response transform may be added here. */
  READ_RESPONSE_HDR(Event.HTTP_READ_RESPONSE_HDR),
  /** The response head is about to be written to the client; {@link HttpTxn#clientResponse()} may be changed. */
  SEND_RESPONSE_HDR(Event.HTTP_SEND_RESPONSE_HDR),
  /** The transaction ended, successfully or not; nothing can be changed any more. */
  TXN_CLOSE(Event.HTTP_TXN_CLOSE);

  private final Event event;

  HttpHookId(Event event) {
    this.event = event;
  }

  /**
   * The event a hook continuation receives.
   *
   * @return the Traffic Server event of this hook
   */
  public Event event() {
    return event;
  }
}
