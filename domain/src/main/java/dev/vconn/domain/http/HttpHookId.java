package dev.vconn.domain.http;

import dev.vconn.domain.Event;

/**
 * The hooks a plugin can add a continuation to, after Traffic Server's {@code TS_HTTP_*_HOOK}s, in the order they run
 * (docs/http.md, "Hooks"). A transaction hook continuation receives {@link #event()} with the {@link HttpTxn} as data
 * and must resume the transaction with {@link HttpTxn#reenable()}; a session hook ({@link #SSN_START},
 * {@link #SSN_CLOSE}) receives the {@link HttpSsn} and must resume the session with {@link HttpSsn#reenable()}.
 * Either runs under its own lock on the client connection's event loop and may reenable from any thread, at any
 * later time.
 */
public enum HttpHookId {
  /**
   * A client session started (after access control allowed it) and no request was read yet; the session reads
   * nothing until the hook reenables it, and {@link Event#HTTP_ERROR} closes it. Global only.
   */
  SSN_START(Event.HTTP_SSN_START),
  /** The client's request head was read and parsed; it may be changed, intercepted or answered with an error. */
  READ_REQUEST_HDR(Event.HTTP_READ_REQUEST_HDR),
  /** Just before remap chooses the origin: {@link HttpTxn#setClientRequest} may rewrite the target and Host. */
  PRE_REMAP(Event.HTTP_PRE_REMAP),
  /** Remap chose the origin ({@link HttpTxn#origin()}), which is not connected yet; an error stops it there. */
  POST_REMAP(Event.HTTP_POST_REMAP),
  /** The request head is about to be written to the origin (or intercept); {@link HttpTxn#serverRequest()} may be changed. */
  SEND_REQUEST_HDR(Event.HTTP_SEND_REQUEST_HDR),
  /** The origin's response head was read; a response transform may be added here. */
  READ_RESPONSE_HDR(Event.HTTP_READ_RESPONSE_HDR),
  /** The response head is about to be written to the client; {@link HttpTxn#clientResponse()} may be changed. */
  SEND_RESPONSE_HDR(Event.HTTP_SEND_RESPONSE_HDR),
  /** The transaction ended, successfully or not; nothing can be changed any more. */
  TXN_CLOSE(Event.HTTP_TXN_CLOSE),
  /**
   * The client session ended, after the {@link #TXN_CLOSE} of its last transaction: the client connection is closed
   * and every buffer of the session freed. Runs once for every session whose {@link #SSN_START} ran.
   */
  SSN_CLOSE(Event.HTTP_SSN_CLOSE);

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

  /**
   * Whether this hook belongs to the session rather than to a transaction: its continuation receives the
   * {@link HttpSsn}, and it cannot be added with {@link HttpTxn#addHook}.
   *
   * @return true for {@link #SSN_START} and {@link #SSN_CLOSE}
   */
  public boolean isSessionHook() {
    return this == SSN_START || this == SSN_CLOSE;
  }
}
