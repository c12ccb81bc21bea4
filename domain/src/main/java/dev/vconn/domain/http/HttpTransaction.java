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
 * The data of the transaction its machine runs; where it stands is the machine's {@link HttpSM.State}. A client
 * session reuses its machine, and this object with it, for its next transaction ({@link #reset}): plugins never get
 * it, only the {@link Handle} made for each transaction, which refuses every call once that transaction ended
 * (docs/http.md, "Object lifetimes"). Everything but the plugin entry points runs under the session lock; those
 * check that the transaction is stopped at the hook they need.
 */
final class HttpTransaction {
  /** Where the request may still be changed or routed (a shared array: no varargs array per call). */
  private static final HttpHookId[] REQUEST_HOOKS = {HttpHookId.READ_REQUEST_HDR, HttpHookId.PRE_REMAP};
  /** Where a response transform may be added. */
  private static final HttpHookId[] TRANSFORM_HOOKS = {HttpHookId.READ_REQUEST_HDR, HttpHookId.PRE_REMAP,
      HttpHookId.POST_REMAP, HttpHookId.READ_RESPONSE_HDR};
  /** {@link #liveId} once the transaction ended: no transaction has this id. */
  private static final long ENDED = -1;

  final HttpSM sm;
  long id;
  long startNanos;
  /**
   * The id of the transaction whose handle is valid now, {@link #ENDED} from the moment its TXN_CLOSE hooks returned
   * until the next one starts. Written on the loop after the fields of a new transaction; handles read a value, then
   * this, so a value they return belongs to their transaction.
   */
  private volatile long liveId;
  /** What plugins get for this transaction: a new one per transaction. */
  Handle handle;

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
  /**
   * Whether {@link #txnHooks} got a hook in this transaction: written under {@link #pluginLock} after the hook was
   * added, read without it, so the hook points of a transaction without hooks of its own take no lock.
   */
  private volatile boolean anyTxnHook;
  /**
   * Guards {@link #transforms}, {@link #txnHooks} and the end of a transaction ({@link #end}, {@link #reset}):
   * plugins may change them from any thread, and never those of a later transaction.
   */
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
    this.hooks = new HookChain(this, sm.client.eventLoop(), sm);
    begin(id, startNanos);
  }

  private void begin(long id, long startNanos) {
    this.id = id;
    this.startNanos = startNanos;
    this.handle = new Handle(this, id);
    this.liveId = id; // last: a handle that reads this id sees the fields above
  }

  /**
   * The transaction ended (its TXN_CLOSE hooks returned): its handle refuses every call from now on. Under the
   * plugin lock, so no plugin change made through the handle lands after this.
   */
  void end() {
    synchronized (pluginLock) {
      liveId = ENDED;
    }
  }

  /** Whether {@link #end} ran for the current transaction. */
  boolean ended() {
    return liveId == ENDED;
  }

  /**
   * Makes this the data of the session's next transaction, {@code id}: every field back to its initial value (the
   * plugins' hooks, transforms, intercept and error status too), and a new handle. Only after {@link #end}.
   */
  void reset(long id, long startNanos) {
    if (liveId != ENDED) {
      throw new IllegalStateException("transaction " + this.id + " is reused before it ended");
    }
    synchronized (pluginLock) {
      transforms = null;
      txnHooks = null;
      anyTxnHook = false;
      if (interceptServer != null) {
        interceptServer = null;
      }
      if (errorStatus != 500) {
        errorStatus = 500;
      }
    }
    // The heads are volatile (plugins read them from any thread): a volatile write is a fence, so only the ones the
    // previous transaction set are written.
    if (clientRequest != null) {
      clientRequest = null;
    }
    if (serverRequest != null) {
      serverRequest = null;
    }
    if (serverResponse != null) {
      serverResponse = null;
    }
    if (clientRequestTrailers != null) {
      clientRequestTrailers = null;
    }
    if (serverResponseTrailers != null) {
      serverResponseTrailers = null;
    }
    if (clientResponse != null) {
      clientResponse = null;
    }
    if (status != 0) {
      status = 0;
    }
    hooks.reset();
    clientKeepAlive = false;
    expectContinue = false;
    requestBody = null;
    requestBodyDone = false;
    bytesIn = 0;
    if (!"-".equals(origin)) {
      origin = "-";
    }
    originHost = null;
    originPort = 0;
    originTls = false;
    originTlsSession = null;
    originAnswered = false;
    originResponseNanos = 0;
    originConn = null;
    originRead = null;
    originWrite = null;
    requestBuffer = null;
    requestReader = null;
    requestSink = null;
    attempts = 0;
    connectAttempt = null;
    connectAction = null;
    originEos = false;
    originWriteFailed = false;
    originReused = false;
    reuseRetried = false;
    replayReader = null;
    requestHeadBytes = 0;
    preambleBytes = 0;
    requestHasBody = false;
    tunnelOrigin = null;
    tunnelBytesOut = 0;
    interimResponses = 0;
    interimBytes = 0;
    responseBody = null;
    hasResponseBody = false;
    transformed = false;
    originKeepAlive = false;
    responseDone = false;
    errorSent = false;
    failure = null;
    normalizedTarget = null;
    begin(id, startNanos);
  }

  /** The hooks of {@code hook} in the order they run: the global ones, the session's, the transaction's own. */
  List<Continuation> hooksFor(HttpHookId hook) {
    List<Continuation> global = sm.config.hooks().get(hook);
    List<Continuation> ofSession = sm.client.sessionHooks().added(hook);
    if (!anyTxnHook && ofSession.isEmpty()) {
      // No lock: a hook added after this read is one added after this hook point started, as with the lock.
      return global;
    }
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

  // ------------------------------------------------------------------------------------------------ plugin calls

  /** The client's TLS facts (for the access log too). */
  Optional<TlsSessionInfo> clientTls() {
    return sm.client.clientTls();
  }

  /** The origin remap chose, null before it chose one. */
  String chosenOrigin() {
    String chosen = origin;
    return "-".equals(chosen) ? null : chosen;
  }

  private void setClientRequest(Handle by, HttpRequestHead head) {
    requireHook(by, "setClientRequest", REQUEST_HOOKS);
    clientRequest = Objects.requireNonNull(head, "head");
  }

  private void intercept(Handle by, Continuation server) {
    requireHook(by, "intercept", REQUEST_HOOKS);
    interceptServer = Objects.requireNonNull(server, "server");
  }

  private Continuation addResponseTransform(Handle by, EventHandler handler) {
    Objects.requireNonNull(handler, "handler");
    requireHook(by, "addResponseTransform", TRANSFORM_HOOKS);
    Continuation c = new Continuation(handler, sm.client.lock());
    synchronized (pluginLock) {
      by.requireLive("addResponseTransform");
      if (transforms == null) {
        transforms = new ArrayList<>(2);
      }
      transforms.add(c);
    }
    return c;
  }

  private void addHook(Handle by, HttpHookId id, Continuation continuation) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(continuation, "continuation");
    if (id.isSessionHook()) {
      throw new IllegalArgumentException(id + " is a session hook: add it globally (HttpHooks.builder().add)"
          + (id == HttpHookId.SSN_CLOSE ? " or to the session (txn.session().addHook)" : ""));
    }
    synchronized (pluginLock) {
      by.requireLive("addHook");
      if (txnHooks == null) {
        txnHooks = new EnumMap<>(HttpHookId.class);
      }
      txnHooks.computeIfAbsent(id, k -> new ArrayList<>()).add(continuation);
      anyTxnHook = true;
    }
  }

  private void setErrorStatus(Handle by, int status) {
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("error status must be in 400..599, was " + status);
    }
    synchronized (pluginLock) {
      by.requireLive("setErrorStatus");
      errorStatus = status;
    }
  }

  /**
   * Resumes the transaction from the hook {@code by}'s transaction is stopped at. The stop belongs to one handle
   * ({@link HookChain#release}), so a handle of an ended transaction can never release a later one's hook.
   */
  void reenable(Handle by, Event event) {
    if (event != Event.HTTP_CONTINUE && event != Event.HTTP_ERROR) {
      throw new IllegalArgumentException("reenable takes HTTP_CONTINUE or HTTP_ERROR, not " + event);
    }
    HttpHookId hook = hooks.release(by);
    if (hook == null) {
      by.requireLive("reenable");
      throw new IllegalStateException("reenable on transaction " + by.id
          + " that is not stopped at a hook (TSHttpTxnReenable once per hook event)");
    }
    sm.resume(event, by.id);
  }

  private void requireHook(Handle by, String call, HttpHookId[] allowed) {
    by.requireLive(call);
    HttpHookId at = hooks.stoppedAt(by);
    for (HttpHookId h : allowed) {
      if (h == at) {
        return;
      }
    }
    throw new IllegalStateException(call + " is allowed only while the transaction is stopped at "
        + List.of(allowed) + ", it is at " + (at == null ? "no hook" : at));
  }

  /**
   * The {@link HttpTxn} plugins get for one transaction: valid from the transaction's first hook until its
   * TXN_CLOSE hooks returned; after that every call throws {@link IllegalStateException} (docs/http.md, "Object
   * lifetimes"). The session reuses the machine behind it for its next transaction, never this handle: a handle
   * checks on every call that the machine still runs the transaction it was made for.
   */
  static final class Handle implements HttpTxn {
    private final HttpTransaction txn;
    private final long id;

    Handle(HttpTransaction txn, long id) {
      this.txn = txn;
      this.id = id;
    }

    /** The data behind this handle, whichever transaction it runs now (for the machine's own tests). */
    HttpTransaction data() {
      return txn;
    }

    /** The data, if this handle's transaction still runs. */
    private HttpTransaction live(String call) {
      requireLive(call);
      return txn;
    }

    /** Throws unless this handle's transaction still runs. */
    void requireLive(String call) {
      if (txn.liveId != id) {
        throw new IllegalStateException(call + " on transaction " + id + ", which has ended: an HttpTxn is valid "
            + "from the transaction's first hook until its TXN_CLOSE hooks returned (docs/http.md, Object lifetimes)");
      }
    }

    /** {@code value}, read from the data, if this handle's transaction still ran after it was read. */
    private <T> T checked(String call, T value) {
      requireLive(call);
      return value;
    }

    @Override
    public long id() {
      requireLive("id");
      return id;
    }

    @Override
    public Optional<TlsSessionInfo> clientTls() {
      return live("clientTls").clientTls();
    }

    @Override
    public SocketAddress clientAddress() {
      return live("clientAddress").sm.client.clientAddress();
    }

    @Override
    public boolean isInternal() {
      return live("isInternal").sm.client.isInternal();
    }

    @Override
    public String pluginTag() {
      return live("pluginTag").sm.client.pluginTag();
    }

    @Override
    public long pluginId() {
      return live("pluginId").sm.client.pluginId();
    }

    @Override
    public HttpSsn session() {
      return live("session").sm.client.sessionHooks();
    }

    @Override
    public EventLoop eventLoop() {
      return live("eventLoop").sm.client.eventLoop();
    }

    @Override
    public ReentrantLock lock() {
      return live("lock").sm.client.lock();
    }

    @Override
    public HttpRequestHead clientRequest() {
      return checked("clientRequest", txn.clientRequest);
    }

    @Override
    public void setClientRequest(HttpRequestHead head) {
      txn.setClientRequest(this, head);
    }

    @Override
    public String origin() {
      return checked("origin", txn.chosenOrigin());
    }

    @Override
    public HttpRequestHead serverRequest() {
      return checked("serverRequest", txn.serverRequest);
    }

    @Override
    public HttpResponseHead serverResponse() {
      return checked("serverResponse", txn.serverResponse);
    }

    @Override
    public HttpHeaders clientRequestTrailers() {
      HttpHeaders trailers = checked("clientRequestTrailers", txn.clientRequestTrailers);
      return trailers == null ? new HttpHeaders() : HttpHeaders.copyOf(trailers);
    }

    @Override
    public HttpHeaders serverResponseTrailers() {
      HttpHeaders trailers = checked("serverResponseTrailers", txn.serverResponseTrailers);
      return trailers == null ? new HttpHeaders() : HttpHeaders.copyOf(trailers);
    }

    @Override
    public HttpResponseHead clientResponse() {
      return checked("clientResponse", txn.clientResponse);
    }

    @Override
    public int status() {
      int status = txn.status; // read first, as checked() does, without boxing
      requireLive("status");
      return status;
    }

    @Override
    public void intercept(Continuation server) {
      txn.intercept(this, server);
    }

    @Override
    public Continuation addResponseTransform(EventHandler handler) {
      return txn.addResponseTransform(this, handler);
    }

    @Override
    public void addHook(HttpHookId id, Continuation continuation) {
      txn.addHook(this, id, continuation);
    }

    @Override
    public void setErrorStatus(int status) {
      txn.setErrorStatus(this, status);
    }

    @Override
    public void reenable(Event event) {
      txn.reenable(this, event);
    }

    @Override
    public String toString() {
      return txn.liveId == id ? txn.toString() : "HttpTxn[" + id + ", ended]";
    }
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
