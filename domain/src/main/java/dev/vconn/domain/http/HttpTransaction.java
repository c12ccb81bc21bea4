package dev.vconn.domain.http;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventHandler;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.ScheduledAction;
import dev.vconn.domain.VConn;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.tls.TlsSessionInfo;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The data of one transaction, and the {@link HttpTxn} view plugins get; where it stands is its machine's
 * {@link HttpSM.State}. Everything but the {@link HttpTxn} methods runs under the session lock; those check that the
 * transaction is stopped at the hook they need.
 */
final class HttpTransaction implements HttpTxn {

  final HttpSM sm;
  final long id;
  final long startNanos;

  // The heads as they evolve.
  volatile HttpRequestHead clientRequest;
  volatile HttpRequestHead serverRequest;
  volatile HttpResponseHead serverResponse;
  /** The trailer fields of a chunked request body as received, set once that body ended; null before (none). */
  volatile HttpHeaders clientRequestTrailers;
  /**
   * The trailer fields of a chunked response body as received from the origin, set once that body ended; null
   * before (none).
   */
  volatile HttpHeaders serverResponseTrailers;
  volatile HttpResponseHead clientResponse;
  volatile int status;
  volatile int errorStatus = 500;

  // Plugin requests.
  volatile Continuation interceptServer;
  /** The response transforms plugins added, in order; null until the first (most transactions have none). */
  private List<Continuation> transforms;
  /** The transaction's own hooks; null until a plugin adds the first (most transactions have none). */
  private Map<HttpHookId, List<Continuation>> txnHooks;
  /** Guards {@link #transforms} and {@link #txnHooks}, which plugins may change from any thread. */
  private final Object pluginLock = new Object();
  /** Runs the hook points of this transaction. */
  final HookChain hooks;

  // Request.
  boolean clientKeepAlive;
  boolean expectContinue;
  BodyDecoder requestBody;
  boolean requestBodyDone;
  long bytesIn;
  /** The origin remap chose ({@code host:port}), "intercept", or the CONNECT target; "-" (the log's none) before. */
  volatile String origin = "-";
  String originHost;
  int originPort;
  /** Whether the origin is reached over TLS (an https remap target). */
  boolean originTls;
  /** What the origin connection's TLS handshake negotiated, once an https origin's response head arrived. */
  TlsSessionInfo originTlsSession;
  /** Whether the origin's response head arrived, and when by the loop clock. */
  boolean originAnswered;
  long originResponseNanos;

  // Origin connection.
  OriginConnection originConn;
  ReadVio originRead;
  WriteVio originWrite;
  IOBuffer requestBuffer;
  IOBufferReader requestReader;
  BodySink requestSink;
  int attempts;
  ConnectAttempt connectAttempt;
  ScheduledAction connectAction;
  boolean originEos;
  boolean originWriteFailed;
  /** The origin connection came from the keep-alive pool: it carried an earlier transaction. */
  boolean originReused;
  /** A failure on a reused connection was already retried on a new one (once per transaction). */
  boolean reuseRetried;
  /**
   * A second reader at the start of the request bytes, kept while the request could still be sent again on a new
   * connection; null once the response started or too much of the body went out to keep it.
   */
  IOBufferReader replayReader;
  /** Bytes of the forwarded request head, at the start of the request buffer. */
  long requestHeadBytes;
  /**
   * How many octets of a PROXY protocol header precede the request in {@link #requestReader}, unsent; 0 when none
   * (docs/http.md, "PROXY protocol towards origins").
   */
  int preambleBytes;
  /** Whether the request has a body (Content-Length above 0 or chunked). */
  boolean requestHasBody;

  // CONNECT tunnel (docs/http.md, Tunnels).
  /** The connection to a CONNECT target: never pooled; the blind tunnel owns it once it started. */
  VConn tunnelOrigin;
  /** Bytes the blind tunnel wrote to the client (the 200 head included). */
  long tunnelBytesOut;

  // Response.
  /** Interim (1xx) responses read and dropped so far, and their bytes: both are capped. */
  int interimResponses;
  long interimBytes;
  BodyDecoder responseBody;
  boolean hasResponseBody;
  /** The response body goes through the transform chain. */
  boolean transformed;
  boolean originKeepAlive;
  boolean responseDone;
  boolean errorSent;
  String failure;

  /** The client request's target as normalised before the hooks; remap normalises again only a target a hook set. */
  String normalizedTarget;

  HttpTransaction(HttpSM sm, long id, long startNanos) {
    this.sm = sm;
    this.id = id;
    this.startNanos = startNanos;
    this.hooks = new HookChain(this, sm.client.eventLoop(), sm);
  }

  /** The hooks of {@code hook} in the order they run: the global ones, the session's, the transaction's own. */
  List<Continuation> hooksFor(HttpHookId hook) {
    List<Continuation> global = sm.config.hooks().get(hook);
    List<Continuation> ofSession = sm.client.sessionHooks().added(hook);
    synchronized (pluginLock) {
      List<Continuation> own = txnHooks == null ? null : txnHooks.get(hook);
      if (own == null && ofSession.isEmpty()) {
        return global; // immutable already; the common case allocates nothing (seven hook points per transaction)
      }
      List<Continuation> all = new ArrayList<>(global);
      all.addAll(ofSession);
      if (own != null) {
        all.addAll(own);
      }
      return all;
    }
  }

  // ------------------------------------------------------------------------------------------------ HttpTxn

  @Override
  public long id() {
    return id;
  }

  @Override
  public Optional<TlsSessionInfo> clientTls() {
    return sm.client.clientTls();
  }

  @Override
  public SocketAddress clientAddress() {
    return sm.client.clientAddress();
  }

  @Override
  public boolean isInternal() {
    return sm.client.isInternal();
  }

  @Override
  public String pluginTag() {
    return sm.client.pluginTag();
  }

  @Override
  public long pluginId() {
    return sm.client.pluginId();
  }

  @Override
  public HttpSsn session() {
    return sm.client.sessionHooks();
  }

  @Override
  public EventLoop eventLoop() {
    return sm.client.eventLoop();
  }

  @Override
  public ReentrantLock lock() {
    return sm.client.lock();
  }

  @Override
  public HttpRequestHead clientRequest() {
    return clientRequest;
  }

  @Override
  public void setClientRequest(HttpRequestHead head) {
    requireHook("setClientRequest", HttpHookId.READ_REQUEST_HDR, HttpHookId.PRE_REMAP);
    clientRequest = Objects.requireNonNull(head, "head");
  }

  @Override
  public String origin() {
    String chosen = origin;
    return "-".equals(chosen) ? null : chosen;
  }

  @Override
  public HttpRequestHead serverRequest() {
    return serverRequest;
  }

  @Override
  public HttpResponseHead serverResponse() {
    return serverResponse;
  }

  @Override
  public HttpHeaders clientRequestTrailers() {
    HttpHeaders trailers = clientRequestTrailers;
    return trailers == null ? new HttpHeaders() : HttpHeaders.copyOf(trailers);
  }

  @Override
  public HttpHeaders serverResponseTrailers() {
    HttpHeaders trailers = serverResponseTrailers;
    return trailers == null ? new HttpHeaders() : HttpHeaders.copyOf(trailers);
  }

  @Override
  public HttpResponseHead clientResponse() {
    return clientResponse;
  }

  @Override
  public int status() {
    return status;
  }

  @Override
  public void intercept(Continuation server) {
    requireHook("intercept", HttpHookId.READ_REQUEST_HDR, HttpHookId.PRE_REMAP);
    interceptServer = Objects.requireNonNull(server, "server");
  }

  @Override
  public Continuation addResponseTransform(EventHandler handler) {
    Objects.requireNonNull(handler, "handler");
    requireHook("addResponseTransform", HttpHookId.READ_REQUEST_HDR, HttpHookId.PRE_REMAP, HttpHookId.POST_REMAP,
        HttpHookId.READ_RESPONSE_HDR);
    Continuation c = new Continuation(handler, sm.client.lock());
    synchronized (pluginLock) {
      if (transforms == null) {
        transforms = new ArrayList<>(2);
      }
      transforms.add(c);
    }
    return c;
  }

  @Override
  public void addHook(HttpHookId id, Continuation continuation) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(continuation, "continuation");
    if (id.isSessionHook()) {
      throw new IllegalArgumentException(id + " is a session hook: add it globally (HttpHooks.builder().add)"
          + (id == HttpHookId.SSN_CLOSE ? " or to the session (txn.session().addHook)" : ""));
    }
    synchronized (pluginLock) {
      if (txnHooks == null) {
        txnHooks = new EnumMap<>(HttpHookId.class);
      }
      txnHooks.computeIfAbsent(id, k -> new ArrayList<>()).add(continuation);
    }
  }

  @Override
  public void setErrorStatus(int status) {
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("error status must be in 400..599, was " + status);
    }
    errorStatus = status;
  }

  @Override
  public void reenable(Event event) {
    if (event != Event.HTTP_CONTINUE && event != Event.HTTP_ERROR) {
      throw new IllegalArgumentException("reenable takes HTTP_CONTINUE or HTTP_ERROR, not " + event);
    }
    HttpHookId hook = hooks.release();
    if (hook == null) {
      throw new IllegalStateException("reenable on transaction " + id
          + " that is not stopped at a hook (TSHttpTxnReenable once per hook event)");
    }
    sm.resume(event);
  }

  private void requireHook(String call, HttpHookId... allowed) {
    HttpHookId at = hooks.stoppedAt();
    for (HttpHookId h : allowed) {
      if (h == at) {
        return;
      }
    }
    throw new IllegalStateException(call + " is allowed only while the transaction is stopped at "
        + List.of(allowed) + ", it is at " + (at == null ? "no hook" : at));
  }

  /** Stops keeping the request for a retry: the response started, or too much of the body went out to keep it. */
  void dropReplay() {
    if (replayReader != null) {
      replayReader.free();
      replayReader = null;
    }
  }

  List<Continuation> transformsSnapshot() {
    synchronized (pluginLock) {
      return transforms == null ? List.of() : List.copyOf(transforms);
    }
  }

  @Override
  public String toString() {
    HttpRequestHead r = clientRequest;
    return "HttpTxn[" + id + (r == null ? "" : " " + r.method() + " " + r.target()) + ", " + sm.state() + "]";
  }
}
