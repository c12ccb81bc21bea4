package dev.vconn.domain.http;

import dev.vconn.domain.EventLoop;
import dev.vconn.domain.VConn;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.tls.TlsSessionInfo;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The seam between a client protocol session and the transaction machine ({@link HttpSM}): everything the machine
 * asks of the client side of one transaction (docs/http.md, "Code layout"). {@link Http1ClientSession} implements it
 * for HTTP/1; a second client protocol implements it per stream and drives the same machine through the
 * {@code HttpSM} methods documented there, without touching the HTTP/1 session.
 *
 * <p>Everything is called under {@link #lock()}, on {@link #eventLoop()}.
 */
interface ClientSide {

  /** The client's part of a blind tunnel: its VConn, the bytes it sent after the head, the bytes queued for it. */
  record TunnelEnd(VConn vconn, IOBufferReader fromClient, IOBufferReader toClient) {}

  // Who the client is.

  SocketAddress clientAddress();

  /**
   * {@link #clientAddress()} as the forwarding fields write it ({@code X-Forwarded-For}, {@code Forwarded}), null
   * when it is not an IP address. A client side whose address is fixed answers it from a field made once.
   */
  default String clientNodeAddress() {
    return ProxyHeaderRules.nodeAddress(clientAddress());
  }

  /** The proxy's own address of the client connection (what the client connected to); null if there is none. */
  SocketAddress localAddress();

  /** Whether the client is in-process (a {@code VConnPair}). */
  boolean isInternal();

  /** The tag of an in-process client, null for a network client. */
  String pluginTag();

  /** The id of an in-process client, 0 for a network client. */
  long pluginId();

  /** What the client's TLS handshake negotiated; empty for a plain-text or in-process client. */
  Optional<TlsSessionInfo> clientTls();

  EventLoop eventLoop();

  /** The lock every continuation of the session and its transactions runs under. */
  ReentrantLock lock();

  /**
   * The read buffer and inactivity timer this session lends to its intercepted transactions, one at a time
   * ({@link InterceptSlot}); null when it keeps none (each intercept then gets a buffer and a timer of its own).
   */
  default InterceptSlot interceptSlot() {
    return null;
  }

  /** Whether the client connection is gone (closed, reset, or given up): nobody is left to answer. */
  boolean isClosed();

  /** The client session's hooks (SSN_START, SSN_CLOSE, hooks added to the session) and its {@link HttpSsn} view. */
  SessionHooks sessionHooks();

  /** Whether the session is shutting down gracefully: the response must not offer keep-alive. */
  boolean isDraining();

  // The request body, client to proxy.

  /** The bytes the client sent after the request head; the machine consumes the body from here. */
  IOBufferReader requestBytes();

  /** Whether the client ended its stream: what {@link #requestBytes()} holds is all that will come. */
  boolean requestBytesEnded();

  /** The machine consumed what it could: read more from the client. */
  void wantRequestBytes();

  /** Starts ({@code true}) or stops the client's inactivity clock: a body is due from it or to it. */
  void watchClient(boolean on);

  /**
   * Arms the transaction's timer, due {@code delay} from now, replacing one armed before: the machine's
   * {@link HttpSM#transactionTimerFired()} follows unless it is cancelled first. The client side lends its own timer
   * (it arms none of its own while a transaction runs), so a transaction schedules no timer of its own.
   */
  void armTransactionTimer(Duration delay);

  /** Cancels the transaction's timer, if it is armed. */
  void cancelTransactionTimer();

  // The response, proxy to client.

  /** Sends {@code 100 Continue} for a request that expects it. */
  void sendContinue();

  /**
   * Queues the response head and returns the sink for its body, framed for this protocol (chunked for an HTTP/1
   * head that says so).
   *
   * @param pendingLimit how many unsent bytes the sink takes before its space is 0 (backpressure)
   */
  BodySink sendResponseHead(HttpResponseHead head, long pendingLimit);

  /** Queues a whole response the proxy makes itself (an error): the head and {@code body}. */
  void sendResponse(HttpResponseHead head, byte[] body);

  /** More body bytes are in the sink {@link #sendResponseHead} returned: send them. */
  void responseBytesAdded();

  /**
   * Takes back the response head and body bytes queued so far if none of them left yet.
   *
   * @return false if some of the head already went out (then nothing is taken back)
   */
  boolean takeBackResponse();

  /** Everything of the response is queued; the client side calls {@link HttpSM#responseSent()} once it is out. */
  void endResponse();

  /** Response bytes of this transaction that went out so far, head included. */
  long responseBytesSent();

  // Ending.

  /**
   * Hands the client over to a blind tunnel ({@link BlindTunnel}) whose first bytes to the client are {@code head};
   * the client side stops its own I/O and timers and ends its session once the transaction is done.
   */
  TunnelEnd handOverForTunnel(HttpResponseHead head);

  /** The transaction cannot finish: stop all client I/O now (the session ends once TXN_CLOSE hooks ran). */
  void abort();

  /** Closes the client connection and the session now (a client that went away while a hook held the machine). */
  void close();

  /**
   * An exception escaped a handler of the machine or the session: count it as an internal error, log it, record it
   * as the transaction's failure ({@link HttpSM#internalError}) and close.
   */
  void fail(Throwable e);

  /** The transaction ended (TXN_CLOSE hooks ran, the access log has it): serve the next one, or end the session. */
  void transactionDone(boolean keepAlive);
}
