package dev.vconn.domain.http;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventHandler;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.tls.TlsSessionInfo;
import java.net.SocketAddress;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One HTTP transaction as a plugin sees it ({@code TSHttpTxn}). Hook continuations receive it as the event data.
 *
 * <p>The heads are mutable while their hook runs: change header fields in place, or replace a head with the
 * setters. Which calls are allowed depends on the hook the transaction is stopped at; a call at the wrong time
 * throws {@link IllegalStateException} naming the hook it needs. Every method may be called from any thread, but
 * only while the transaction is stopped at a hook (before {@link #reenable()}), except the read-only accessors.
 *
 * <p>A handle is valid from the transaction's first hook until its {@link HttpHookId#TXN_CLOSE} hook callbacks have
 * returned (the transaction's end), as in Traffic Server. After that every method throws
 * {@link IllegalStateException} naming that rule (docs/http.md, "Object lifetimes"): the proxy reuses the
 * machinery behind a handle for the session's next transaction, which gets a handle of its own, and a call on an
 * ended transaction's handle is never applied to it. Copy at {@code TXN_CLOSE} what is needed later.
 */
public interface HttpTxn {

  /**
   * A number unique within the proxy, increasing with each transaction.
   *
   * @return the transaction id
   */
  long id();

  /**
   * The client's address: the remote address of a network client, or the {@code clientAddress} of an in-process
   * client's connect options.
   *
   * @return the client address, possibly null
   */
  SocketAddress clientAddress();

  /**
   * What the client's TLS handshake negotiated, for a client connected over TLS (a TLS listener): protocol, cipher
   * suite, the SNI name it asked for ({@link TlsSessionInfo#serverName()}), the ALPN protocol and its certificate
   * chain and subject if it sent one (client authentication). Read-only, at any hook.
   *
   * @return the client's TLS facts, empty for a plain-text or in-process client
   */
  default Optional<TlsSessionInfo> clientTls() {
    return Optional.empty();
  }

  /**
   * Whether the client is in-process ({@code TSHttpTxnIsInternal}, log field {@code cqint}).
   *
   * @return true for {@code HttpConnector} clients
   */
  boolean isInternal();

  /**
   * The tag of an in-process client ({@code TSHttpTxnPluginTagGet}, log field {@code pitag}).
   *
   * @return the tag, or null for a network client
   */
  String pluginTag();

  /**
   * The id of an in-process client (log field {@code piid}).
   *
   * @return the id, 0 if unset or for a network client
   */
  long pluginId();

  /**
   * The client session this transaction belongs to ({@code TSHttpTxnSsnGet}).
   *
   * @return the session
   */
  HttpSsn session();

  /**
   * The event loop of the client connection; every hook event of this transaction is delivered on it.
   *
   * @return the loop
   */
  EventLoop eventLoop();

  /**
   * The transaction's lock. Transforms share it ({@code TSTransformCreate} gives transforms the transaction's
   * mutex).
   *
   * @return the lock
   */
  ReentrantLock lock();

  /**
   * The request as the client sent it, with changes made by hooks. Its target's path is already normalised
   * ({@link RequestPaths}): hooks, intercepts, remap and the origin all see the same path.
   *
   * @return the client request head
   */
  HttpRequestHead clientRequest();

  /**
   * Replaces the client request head; allowed at {@link HttpHookId#READ_REQUEST_HDR} and
   * {@link HttpHookId#PRE_REMAP}, where a new target or Host changes the route. Its target is normalised again
   * before remap; a path that climbs above the root then gets 400.
   *
   * @param head the new head; its framing fields (Content-Length, Transfer-Encoding) must describe the same body
   */
  void setClientRequest(HttpRequestHead head);

  /**
   * The origin remap chose for this transaction, as {@code host:port}; {@code "intercept"} for an intercepted one
   * and the {@code host:port} target for a {@code CONNECT}. Set from {@link HttpHookId#POST_REMAP} on.
   *
   * @return the origin, or null before remap chose one (and for requests no remap rule matched)
   */
  String origin();

  /**
   * The request head that goes to the origin; available from {@link HttpHookId#SEND_REQUEST_HDR} on.
   *
   * @return the server request head, or null before it exists
   */
  HttpRequestHead serverRequest();

  /**
   * The origin's (or intercept's) response head; available from {@link HttpHookId#READ_RESPONSE_HDR} on.
   *
   * @return the server response head, or null before it exists
   */
  HttpResponseHead serverResponse();

  /**
   * The trailer fields of the client's chunked request body, as received (the ones the proxy forwards are these
   * without the fields that may not be trailers: docs/http.md, "Trailers"). Set once the request body ended, which
   * is certain at {@link HttpHookId#TXN_CLOSE} and at {@link HttpHookId#READ_RESPONSE_HDR} unless the origin
   * answered before the body ended.
   *
   * @return a copy of the fields; empty before the body ended and for a body that is not chunked or has none
   */
  HttpHeaders clientRequestTrailers();

  /**
   * The trailer fields of the origin's (or intercept's) chunked response body, as received (the client gets these
   * without the fields that may not be trailers, and only if it sent {@code TE: trailers}: docs/http.md,
   * "Trailers"). Set once the response body ended: read them at {@link HttpHookId#TXN_CLOSE}.
   *
   * @return a copy of the fields; empty before the body ended and for a body that is not chunked or has none
   */
  HttpHeaders serverResponseTrailers();

  /**
   * The response head that goes to the client; available at {@link HttpHookId#SEND_RESPONSE_HDR}, where its
   * fields may be changed (not its framing).
   *
   * @return the client response head, or null before it exists
   */
  HttpResponseHead clientResponse();

  /**
   * The status sent to the client so far.
   *
   * @return the status, or 0 if no response head was sent
   */
  int status();

  /**
   * Serves this transaction from a plugin instead of an origin ({@code TSHttpTxnServerIntercept}); allowed at
   * {@link HttpHookId#READ_REQUEST_HDR} and {@link HttpHookId#PRE_REMAP} (remap rules are then skipped). After the
   * {@link HttpHookId#POST_REMAP} hooks, {@code server} receives {@link Event#NET_ACCEPT} with the passive end of an
   * in-process pair: it reads the request (head and body, as the proxy forwards it) from it and writes an HTTP/1.1
   * response to it, framed by Content-Length or chunked encoding or ended by closing or shutting down its write side.
   * The plugin owns that VConn and must close it.
   *
   * @param server the continuation that serves the request
   */
  void intercept(Continuation server);

  /**
   * Adds a response transform ({@code TSTransformCreate} plus {@code TS_HTTP_RESPONSE_TRANSFORM_HOOK}); allowed at
   * {@link HttpHookId#READ_REQUEST_HDR}, {@link HttpHookId#PRE_REMAP}, {@link HttpHookId#POST_REMAP} and
   * {@link HttpHookId#READ_RESPONSE_HDR}. Transforms run in the order added,
   * each one's output feeding the next. When the response body starts, the returned continuation receives
   * {@link Event#IMMEDIATE} with a {@link Transform}; responses without a body skip transforms. A transformed
   * response loses its Content-Length and goes to the client chunked (or close-delimited to HTTP/1.0 clients).
   *
   * @param handler the transform's event handler, e.g. {@link NullTransform}
   * @return the transform's continuation, which shares this transaction's lock
   */
  Continuation addResponseTransform(EventHandler handler);

  /**
   * Adds a hook for this transaction only ({@code TSHttpTxnHookAdd}); it runs after the global hooks and the
   * session's hooks of the same id. Hooks that already ran are not run again.
   *
   * @param id a transaction hook (not {@link HttpHookId#isSessionHook() a session hook})
   * @param continuation receives the hook's event and must reenable
   * @throws IllegalArgumentException for {@link HttpHookId#SSN_START} and {@link HttpHookId#SSN_CLOSE}
   */
  void addHook(HttpHookId id, Continuation continuation);

  /**
   * Sets the status of the error response that {@code reenable(Event.HTTP_ERROR)} sends (default 500).
   *
   * @param status a 4xx or 5xx status
   */
  void setErrorStatus(int status);

  /** Resumes the transaction after a hook ({@code TSHttpTxnReenable} with {@code TS_EVENT_HTTP_CONTINUE}). */
  default void reenable() {
    reenable(Event.HTTP_CONTINUE);
  }

  /**
   * Resumes the transaction after a hook ({@code TSHttpTxnReenable}). Callable from any thread; the transaction
   * continues on its event loop, never inside this call.
   *
   * @param event {@link Event#HTTP_CONTINUE}, or {@link Event#HTTP_ERROR} to answer with the error status (before
   *     the response head was sent; after it, the client connection is aborted)
   * @throws IllegalStateException if the transaction is not stopped at a hook (a second reenable for one hook)
   * @throws IllegalArgumentException for any other event
   */
  void reenable(Event event);
}
