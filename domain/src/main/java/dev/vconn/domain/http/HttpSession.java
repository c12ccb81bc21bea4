package dev.vconn.domain.http;

import dev.vconn.domain.CloseState;
import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.ScheduledAction;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.VIO;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.http.HttpTransaction.Step;
import dev.vconn.domain.pair.VConnPair;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection (Traffic Server's {@code Http1ClientSession} with its {@code HttpSM}s): reads request
 * heads, runs each transaction through its hooks, an intercept or an origin, streams the bodies with VIO
 * backpressure, and keeps the connection alive between transactions.
 *
 * <p>Everything runs under one lock, {@link #lock}, shared by the continuations that receive the client's, the
 * origin's, the transforms' and the timers' events; those events may come from different event loops (an origin
 * connection is pinned to its own loop) but never at the same time. Any exception thrown while handling an event
 * aborts the session and frees everything: nothing escapes to the event loop.
 */
final class HttpSession {
  private static final Logger LOG = LoggerFactory.getLogger(HttpSession.class);
  private static final byte[] CONTINUE_100 = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
  private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE");

  private enum Phase { SESSION_START, IDLE, TRANSACTION, TUNNEL, LINGER, CLOSED }

  private enum TimerKind { KEEP_ALIVE_IDLE, HEADER, RESPONSE, LINGER }

  /** One armed timer; a TIMEOUT whose data is not the current token is stale. */
  private record TimerToken(TimerKind kind) {}

  /** A CONNECT tunnel of {@code t} ended (reported from the tunnel's lock, handled under the session's). */
  private record TunnelEnded(HttpTransaction t, BlindTunnel.Result result) {}

  /** A CONNECT target in authority form. */
  private record Authority(String host, int port) {}

  /** A control request from another thread. */
  private enum Control { DRAIN, CLOSE }

  final HttpProxy proxy;
  final HttpProxyConfig config;
  final VConn client;
  final EventLoop loop;
  final ReentrantLock lock = new ReentrantLock();
  final boolean internal;
  final String pluginTag;
  final long pluginId;
  final SocketAddress clientAddress;
  /** The session hooks (SSN_START, SSN_CLOSE) and the {@link HttpSsn} plugins see. */
  final SessionHooks ssnHooks;

  private final Continuation clientCont = new Continuation(this::onClientEvent, lock);
  private final Continuation originCont = new Continuation(this::onOriginEvent, lock);
  private final Continuation transformCont = new Continuation(this::onTransformEvent, lock);
  private final Continuation controlCont = new Continuation(this::onControlEvent, lock);
  private final long bodyLimit;

  /** What the hook chains of this session's transactions ask of it. */
  final HookChain.Session hookCallbacks = new HookChain.Session() {
    @Override
    public boolean isClosed() {
      return phase == Phase.CLOSED;
    }

    @Override
    public void chainEnded(HttpTransaction t, HttpHookId hook) {
      restartClocks(t, hook);
    }

    @Override
    public void endAfterClose(HttpTransaction t) {
      transactionEndedAfterClose(t);
    }

    @Override
    public void hookFailed(HttpTransaction t, String reason) {
      t.failure = reason;
      sendError(t, t.errorStatus, t.failure);
    }
  };

  private Phase phase = Phase.SESSION_START;
  private IOBuffer clientBuffer;
  private IOBufferReader clientReader;
  private ReadVio clientRead;
  private IOBuffer responseBuffer;
  private IOBufferReader responseReader;
  private WriteVio clientWrite;
  private boolean clientEos;
  private boolean draining;
  private HttpTransaction txn;
  private ScheduledAction timer;
  private TimerToken timerToken;
  private long transactions;

  HttpSession(HttpProxy proxy, VConn client) {
    this.proxy = proxy;
    this.config = proxy.config();
    this.client = client;
    this.loop = client.eventLoop();
    Optional<VConnPair.Options> identity = VConnPair.optionsOf(client);
    this.internal = identity.isPresent();
    this.pluginTag = identity.map(VConnPair.Options::tag).orElse(null);
    this.pluginId = identity.map(VConnPair.Options::id).orElse(0L);
    this.clientAddress = identity.isPresent() ? identity.get().clientAddress() : client.remoteAddress();
    this.bodyLimit = 2L * (128L << config.bufferIndex());
    this.ssnHooks = new SessionHooks(this, proxy.nextSessionId());
  }

  // ------------------------------------------------------------------------------------------------ life cycle

  /** Called by the acceptor with the new client VConn: access control, then the first read (all posted). */
  void start() {
    lock.lock();
    try {
      Optional<String> denial = config.accessControl().denial(clientAddress);
      if (denial.isPresent()) {
        proxy.stats.deniedConnections.increment();
        String reason = "access denied for client " + clientAddress + ": " + denial.get();
        LOG.debug("{}", reason);
        phase = Phase.CLOSED;
        client.abort(Errno.EACCES, new SecurityException(reason));
        return;
      }
      proxy.sessionOpened(this);
      // SSN_START hooks may hold the session: it reads nothing (and times nothing) until they are done.
      ssnHooks.start(this::startReading);
    } catch (RuntimeException e) {
      fail(e);
    } finally {
      lock.unlock();
    }
  }

  /** The session started: the first read, with the header timeout (under the lock). */
  private void startReading() {
    clientBuffer = new IOBuffer(config.blockPool(), config.bufferIndex());
    // A head up to the limit must fit even when it is bigger than one block (docs/semantics.md, rule 3.5 read-ahead).
    clientBuffer.setWaterMark(config.limits().maxHeaderBytes() + 1L);
    clientReader = clientBuffer.allocReader();
    responseBuffer = new IOBuffer(config.blockPool(), config.bufferIndex());
    responseReader = responseBuffer.allocReader();
    clientRead = client.read(clientCont, Long.MAX_VALUE, clientBuffer);
    enterIdle();
    if (phase == Phase.IDLE) {
      // The first head has the header timeout from the moment the session started (the connection opened and its
      // SSN_START hooks were done), not the keep-alive idle timeout: a connection that never sends a byte is not
      // held for the longer one.
      arm(TimerKind.HEADER);
    }
  }

  /** From any thread: stop keeping the connection alive (graceful shutdown) or close it now. */
  void control(boolean closeNow) {
    ContinuationScheduler.dispatch(loop, controlCont, Event.IMMEDIATE, closeNow ? Control.CLOSE : Control.DRAIN);
  }

  /** A hook continuation reenabled {@code t} (any thread): continue on the loop, under the lock. */
  void resume(HttpTransaction t, Event event) {
    ContinuationScheduler.dispatch(loop, controlCont, event, t);
  }

  /** A session hook continuation reenabled the session (any thread): continue on the loop, under the lock. */
  void resume(SessionHooks s, Event event) {
    ContinuationScheduler.dispatch(loop, controlCont, event, s);
  }

  boolean isClosed() {
    return phase == Phase.CLOSED;
  }

  // ------------------------------------------------------------------------------------------------ events

  private void onClientEvent(Event event, Object data) {
    guarded(() -> {
      if (phase == Phase.CLOSED || !(data instanceof VIO vio) || vio.vconn() != client) {
        return;
      }
      switch (event) {
        case READ_READY -> clientReadable();
        case EOS -> {
          clientEos = true;
          if (phase == Phase.TRANSACTION && client.error() != null) {
            // Not a half-close (that carries no error): the client closed or reset the connection, so nobody is
            // left to answer. Without this a transaction waiting for an origin or a hook would hold it forever.
            clientGone("client closed the connection: " + describe(client.error()));
          } else {
            clientReadable();
          }
        }
        case WRITE_READY -> {
          if (txn != null) {
            pumpResponse();
          }
        }
        case WRITE_COMPLETE -> {
          if (txn != null && txn.step == Step.SENDING_LAST) {
            endTransaction();
          }
        }
        case INACTIVITY_TIMEOUT, ACTIVE_TIMEOUT -> {
          if (txn == null || !txn.hooks.holds()) {
            clientStalled();
          }
        }
        case ERROR -> clientGone("client connection failed: " + describe(client.error()));
        default -> { }
      }
    });
  }

  private void onOriginEvent(Event event, Object data) {
    guarded(() -> {
      HttpTransaction t = txn;
      if (phase == Phase.CLOSED || t == null || t.originConn == null || !(data instanceof VIO vio)
          || vio.vconn() != t.originConn.vconn) {
        return;
      }
      switch (event) {
        case READ_READY -> originReadable(t);
        case EOS -> {
          t.originEos = true;
          originReadable(t);
        }
        case WRITE_READY, WRITE_COMPLETE -> pumpRequestBody(t);
        case INACTIVITY_TIMEOUT, ACTIVE_TIMEOUT -> {
          if (t.hooks.holds()) {
            return; // the plugin's time; the clock starts again when the hooks are done
          }
          if (!t.requestBodyDone && t.requestReader != null && t.requestReader.readAvail() == 0) {
            // The origin has taken everything and waits for the rest of the body: the client is the one stalling
            // (its own timer fires at the same time), so this is a 408, not the origin's 504.
            clientStalled();
          } else {
            originFailed(t, true, "origin inactive for " + config.timeouts().inactivity().toMillis() + " ms");
          }
        }
        case ERROR -> {
          if (vio == t.originWrite) {
            originWriteFailed(t);
          } else if (t.hooks.holds()) {
            return; // reported again when the read is reenabled after the hooks
          } else if (!t.responseDone) {
            originFailed(t, false, "origin connection failed: " + describe(t.originConn.vconn.error()));
          }
        }
        default -> { }
      }
    });
  }

  private void onTransformEvent(Event event, Object data) {
    guarded(() -> {
      HttpTransaction t = txn;
      if (phase == Phase.CLOSED || t == null || t.transformPairs == null || !(data instanceof VIO vio)) {
        return;
      }
      switch (event) {
        case READ_READY, WRITE_READY -> pumpResponse();
        case EOS -> {
          t.transformOutEos = true;
          pumpResponse();
        }
        case WRITE_COMPLETE -> {
          // The whole body went into the first transform: tell it no more is coming.
          t.transformPairs.get(0).active().shutdown(ShutdownHow.WRITE);
          pumpResponse();
        }
        default -> abortTransaction("response transform failed: " + event + " on " + vio.op());
      }
    });
  }

  private void onControlEvent(Event event, Object data) {
    guarded(() -> {
      if (data instanceof TunnelEnded ended) {
        if (phase == Phase.TUNNEL && ended.t() == txn) {
          tunnelEnded(ended.t(), ended.result());
        }
        return;
      }
      if (data instanceof HttpTransaction t) {
        if (t == txn) {
          t.hooks.resume(event); // also after close: the transaction still has to end
        }
        return;
      }
      if (data instanceof SessionHooks s) {
        s.resume(event); // also after close: SSN_CLOSE is still owed
        return;
      }
      if (phase == Phase.CLOSED) {
        return;
      }
      if (data instanceof TimerToken token) {
        if (token == timerToken) {
          timerToken = null;
          timer = null;
          timerFired(token.kind());
        }
      } else if (data instanceof Control c) {
        if (c == Control.CLOSE) {
          close();
        } else {
          draining = true;
          if (phase == Phase.IDLE && clientReader.readAvail() == 0) {
            close();
          }
        }
      } else if (data instanceof ConnectAttempt attempt) {
        connectDone(attempt, event);
      }
    });
  }

  /** Runs a handler body; any exception aborts the session instead of escaping to the loop. */
  private void guarded(Runnable body) {
    try {
      body.run();
    } catch (RuntimeException | AssertionError e) {
      fail(e);
    }
  }

  private void fail(Throwable e) {
    proxy.stats.internalErrors.increment(); // counted so tests (the fuzz oracle) and monitoring can see it
    LOG.error("HTTP session for {} failed; closing it", clientAddress, e);
    if (txn != null && txn.failure == null) {
      txn.failure = "internal error: " + e;
    }
    try {
      close();
    } catch (RuntimeException second) {
      e.addSuppressed(second);
      LOG.error("closing the failed session failed too", second);
    }
  }

  // ------------------------------------------------------------------------------------------------ client side

  private void clientReadable() {
    switch (phase) {
      case IDLE -> readRequestHead();
      case TRANSACTION -> {
        HttpTransaction t = txn;
        if (t.requestSink != null && !t.requestBodyDone) {
          pumpRequestBody(t); // it notices a body cut short by EOS
        }
      }
      case LINGER -> {
        clientReader.consume(clientReader.readAvail());
        if (clientEos) {
          close();
        } else {
          clientRead.reenable();
        }
      }
      default -> { }
    }
  }

  private void enterIdle() {
    phase = Phase.IDLE;
    // Between requests the session holds no block: the next request takes fresh ones (docs/semantics.md).
    clientBuffer.trim();
    responseBuffer.trim();
    clientBuffer.setWaterMark(config.limits().maxHeaderBytes() + 1L); // room for the next request head
    client.cancelInactivityTimeout();
    if (draining && clientReader.readAvail() == 0) {
      close();
      return;
    }
    arm(clientReader.readAvail() == 0 ? TimerKind.KEEP_ALIVE_IDLE : TimerKind.HEADER);
    readRequestHead();
  }

  private void readRequestHead() {
    HttpHeadParser.Result<HttpRequestHead> result = proxy.parser().parseRequest(clientReader);
    if (result instanceof HttpHeadParser.Parsed<HttpRequestHead> parsed) {
      cancelTimer();
      startTransaction(parsed.head(), parsed.headBytes());
    } else if (result instanceof HttpHeadParser.Rejected<HttpRequestHead> rejected) {
      cancelTimer();
      HttpTransaction t = newTransaction();
      t.failure = rejected.reason();
      t.bytesIn = clientReader.readAvail();
      clientReader.consume(clientReader.readAvail());
      sendError(t, rejected.status(), rejected.reason());
    } else if (clientEos) {
      close(); // the client left, between requests or in the middle of a head: nobody to answer
    } else {
      if (clientReader.readAvail() > 0 && timerToken != null && timerToken.kind() == TimerKind.KEEP_ALIVE_IDLE) {
        arm(TimerKind.HEADER); // the head started: it now has the header timeout to complete
      }
      clientRead.reenable();
    }
  }

  private HttpTransaction newTransaction() {
    phase = Phase.TRANSACTION;
    txn = new HttpTransaction(this, proxy.nextTransactionId(), loop.nanoTime());
    transactions++;
    return txn;
  }

  private void clientStalled() {
    HttpTransaction t = txn;
    if (t == null) {
      close();
    } else if (t.status == 0 && !t.requestBodyDone) {
      t.failure = "client sent no request body bytes for " + config.timeouts().inactivity().toMillis() + " ms";
      sendError(t, 408, t.failure);
    } else {
      abortTransaction("client inactive for " + config.timeouts().inactivity().toMillis() + " ms");
    }
  }

  private void clientGone(String reason) {
    clientEos = true;
    HttpTransaction t = txn;
    if (t == null) {
      close();
    } else if (t.step == Step.TXN_CLOSE_HOOK || t.step == Step.DONE) {
      return; // already ending (TXN_CLOSE must not run twice); it closes the connection since clientEos is set
    } else if (t.hooks.holds()) {
      // A hook holds the transaction: free the connection now; it ends (TXN_CLOSE, log) when the hook reenables.
      if (t.failure == null) {
        t.failure = reason;
      }
      close();
    } else {
      abortTransaction(reason);
    }
  }

  // ------------------------------------------------------------------------------------------------ request

  private void startTransaction(HttpRequestHead head, int headBytes) {
    HttpTransaction t = newTransaction();
    t.clientRequest = head;
    t.bytesIn = headBytes;
    clientBuffer.setWaterMark(0); // a body needs only the block-sized read-ahead
    HttpHeaders h = head.headers();
    Set<String> connection = h.connectionTokens();
    t.clientKeepAlive = !draining && (head.version() == HttpVersion.HTTP_1_1
        ? !connection.contains("close") : connection.contains("keep-alive"));
    try {
      t.requestBody = BodyDecoder.forRequest(h, config.limits());
    } catch (BadMessageException e) {
      t.failure = e.getMessage(); // not reached for a parsed head: the parser already answered bad lengths
      sendError(t, e.status(), t.failure);
      return;
    }
    if (t.requestBody.isDone()) {
      t.requestBodyDone = true;
    }
    String expect = h.get("Expect");
    if (expect != null) {
      if (!expect.trim().equalsIgnoreCase("100-continue")) {
        t.failure = "unsupported expectation";
        sendError(t, 417, t.failure);
        return;
      }
      t.expectContinue = head.version() == HttpVersion.HTTP_1_1 && !t.requestBodyDone;
    }
    if (head.method().equals("CONNECT")) {
      startConnect(t);
      return;
    }
    // Hooks, intercepts, remap rules, the origin and the access log all see one spelling of the path, so none of
    // them can be steered past a prefix by dot segments or percent-encodings (RequestPaths).
    try {
      String normal = RequestPaths.normalizeTarget(head.target());
      if (!normal.equals(head.target())) {
        t.clientRequest = new HttpRequestHead(head.method(), normal, head.version(), h);
      }
      t.normalizedTarget = t.clientRequest.target();
    } catch (BadMessageException e) {
      t.failure = e.getMessage();
      sendError(t, e.status(), t.failure);
      return;
    }
    t.hooks.run(HttpHookId.READ_REQUEST_HDR, () -> t.hooks.run(HttpHookId.PRE_REMAP, () -> route(t)));
  }

  /** After the PRE_REMAP hooks: remap chooses the origin, then the POST_REMAP hooks run before it is connected. */
  private void route(HttpTransaction t) {
    if (t.interceptServer != null) {
      t.origin = "intercept";
      t.hooks.run(HttpHookId.POST_REMAP, () -> startIntercept(t));
      return;
    }
    HttpRequestHead req = t.clientRequest;
    String target = req.target();
    if (target != t.normalizedTarget) { // a READ_REQUEST_HDR or PRE_REMAP hook set a new target: normalise it too
      try {
        target = RequestPaths.normalizeTarget(target);
      } catch (BadMessageException e) {
        t.failure = e.getMessage();
        sendError(t, e.status(), t.failure);
        return;
      }
    }
    String host = null;
    String path = target;
    if (target.regionMatches(true, 0, "http://", 0, 7)) {
      int slash = target.indexOf('/', 7);
      host = slash < 0 ? target.substring(7) : target.substring(7, slash);
      path = slash < 0 ? "/" : target.substring(slash);
    } else if (req.headers().get(HttpHeaders.HOST) != null) {
      host = req.headers().get(HttpHeaders.HOST);
    }
    if (host != null) {
      host = stripPort(host.trim()).toLowerCase(Locale.ROOT);
    }
    for (RemapRule rule : config.remapRules()) {
      Optional<String> mapped = rule.map(host, path);
      if (mapped.isPresent()) {
        t.origin = rule.originAuthority();
        t.originHost = rule.originHost();
        t.originPort = rule.originPort();
        t.originTls = rule.originTls();
        if (config.originConnector() == null) {
          t.failure = "no origin connector configured";
          sendError(t, 502, t.failure);
          return;
        }
        String originTarget = mapped.get();
        t.hooks.run(HttpHookId.POST_REMAP, () -> forwardToOrigin(t, originTarget));
        return;
      }
    }
    t.failure = "no remap rule matches " + (host == null ? "" : host) + path;
    sendError(t, 404, "no remap rule matches this request");
  }

  /** After the POST_REMAP hooks: the request for the origin (with the fields they changed), then its connection. */
  private void forwardToOrigin(HttpTransaction t, String originTarget) {
    HttpRequestHead req = t.clientRequest;
    HttpHeaders headers = proxy.headerRules().forwardedRequest(req.headers(), req.version());
    headers.set(HttpHeaders.HOST, t.originPort == (t.originTls ? 443 : 80) ? t.originHost : t.origin);
    t.serverRequest = new HttpRequestHead(req.method(), originTarget, HttpVersion.HTTP_1_1, headers);
    connectOrigin(t, t.originHost, t.originPort, true);
  }

  // ------------------------------------------------------------------------------------------------ CONNECT

  /**
   * {@code CONNECT host:port} (docs/http.md, Tunnels): the target must be in authority form and its port in the
   * allow-list, then the READ_REQUEST_HDR and PRE_REMAP hooks run (a target they set meets the same rules), then the
   * POST_REMAP hooks, then the target is connected (never from the pool, never pooled). Remap rules do not apply: the
   * client names the target itself.
   */
  private void startConnect(HttpTransaction t) {
    t.requestBodyDone = true; // what follows the head belongs to the tunnel, not to HTTP
    t.clientKeepAlive = false; // no keep-alive after a tunnel, nor after a refused one: the bytes after it are not HTTP
    if (connectTargetRefused(t)) {
      return;
    }
    t.hooks.run(HttpHookId.READ_REQUEST_HDR, () -> t.hooks.run(HttpHookId.PRE_REMAP, () -> connectTunnel(t)));
  }

  /** Answers 400 or 403 and returns true if {@code t}'s CONNECT target may not be reached. */
  private boolean connectTargetRefused(HttpTransaction t) {
    String target = t.clientRequest.target();
    Authority authority = connectAuthority(target);
    if (authority == null) {
      t.failure = "CONNECT target must be host:port (authority form), was '" + target + "'";
      sendError(t, 400, t.failure);
      return true;
    }
    if (!config.connectPorts().contains(authority.port())) {
      t.failure = "CONNECT to port " + authority.port() + " is not allowed (connect ports: "
          + config.connectPorts() + ")";
      proxy.stats.deniedConnections.increment();
      sendError(t, 403, t.failure);
      return true;
    }
    return false;
  }

  /** Parses {@code host:port} or {@code [v6]:port}; null if it is anything else. */
  private static Authority connectAuthority(String target) {
    int colon = target.lastIndexOf(':');
    if (colon <= 0 || colon == target.length() - 1 || target.length() - colon - 1 > 5) {
      return null;
    }
    String host = target.substring(0, colon);
    int port = 0;
    for (int i = colon + 1; i < target.length(); i++) {
      char c = target.charAt(i);
      if (c < '0' || c > '9') {
        return null;
      }
      port = port * 10 + (c - '0');
    }
    if (port < 1 || port > 65535) {
      return null;
    }
    boolean v6 = host.length() > 2 && host.startsWith("[") && host.endsWith("]");
    String name = v6 ? host.substring(1, host.length() - 1) : host;
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok = c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '-'
          || v6 && c == ':';
      if (!ok) {
        return null;
      }
    }
    return new Authority(name, port);
  }

  private void connectTunnel(HttpTransaction t) {
    if (connectTargetRefused(t)) {
      return; // a READ_REQUEST_HDR or PRE_REMAP hook may have set another target: it meets the same rules
    }
    t.origin = t.clientRequest.target();
    if (config.originConnector() == null) {
      t.failure = "no origin connector configured";
      sendError(t, 502, t.failure);
      return;
    }
    t.hooks.run(HttpHookId.POST_REMAP, () -> connectTarget(t));
  }

  /** After the POST_REMAP hooks of a CONNECT: connects its target (never from the pool, never pooled). */
  private void connectTarget(HttpTransaction t) {
    Authority authority = connectAuthority(t.origin);
    t.step = Step.CONNECTING;
    t.attempts++;
    ConnectAttempt attempt = new ConnectAttempt(t, t.origin);
    attempt.reserved = false;
    t.connectAttempt = attempt;
    Continuation onConnect = new Continuation((event, data) -> {
      attempt.result = data;
      onControlEvent(event, attempt);
    }, lock);
    t.connectAction = config.originConnector().connect(onConnect, authority.host(), authority.port(),
        config.timeouts().connect());
  }

  private void tunnelConnectDone(HttpTransaction t, ConnectAttempt attempt, Event event) {
    if (event == Event.NET_CONNECT && attempt.result instanceof VConn vconn) {
      t.tunnelOrigin = vconn;
      t.clientResponse = new HttpResponseHead(HttpVersion.HTTP_1_1, 200, "Connection Established",
          new HttpHeaders());
      t.step = Step.SEND_RESPONSE_HOOK;
      t.hooks.run(HttpHookId.SEND_RESPONSE_HDR, () -> startTunnel(t));
      return;
    }
    VConnError error = attempt.result instanceof VConnError e ? e : null;
    t.failure = "connecting to CONNECT target " + attempt.key + " failed: " + describe(error);
    sendError(t, error != null && error.errno() == Errno.ETIMEDOUT ? 504 : 502, t.failure);
  }

  /** The 200 is decided: it goes out first, then client and target are spliced until both ends are done. */
  private void startTunnel(HttpTransaction t) {
    startTunnel(t, t.tunnelOrigin, null);
  }

  /**
   * The response head {@code t.clientResponse} goes to the client, then client and {@code origin} are spliced until
   * both ends are done: a CONNECT's 200, or an accepted 101 (docs/http.md, Tunnels). {@code originReadAhead} holds
   * bytes the origin sent after that head (the new protocol's first bytes), or is null; they follow the head.
   */
  private void startTunnel(HttpTransaction t, VConn origin, IOBufferReader originReadAhead) {
    t.status = t.clientResponse.status();
    t.step = Step.RESPONSE_BODY;
    phase = Phase.TUNNEL;
    cancelTimer();
    IOBuffer head = new IOBuffer(config.blockPool(), config.bufferIndex());
    try {
      IOBufferReader headReader = head.allocReader();
      head.write(t.clientResponse.toBytes());
      if (originReadAhead != null) {
        long n = originReadAhead.readAvail();
        head.write(originReadAhead, n);
        originReadAhead.consume(n);
      }
      // The client's bytes after the CONNECT (or upgrade) head are in clientReader already: the tunnel sends them
      // first.
      t.tunnel = new BlindTunnel(client, origin, config.blockPool(), clientReader, headReader,
          config.timeouts().inactivity(),
          result -> ContinuationScheduler.dispatch(loop, controlCont, Event.IMMEDIATE, new TunnelEnded(t, result)));
    } finally {
      head.close();
    }
    t.tunnel.start();
  }

  private void tunnelEnded(HttpTransaction t, BlindTunnel.Result result) {
    t.bytesIn += result.bytesAToB();
    t.tunnelBytesOut = result.bytesBToA();
    t.responseDone = true;
    if (result.end() != BlindTunnel.End.COMPLETED && t.failure == null) {
      t.failure = "tunnel ended: " + result.end();
    }
    clientEos = true; // the tunnel closed the client connection
    phase = Phase.LINGER;
    closeOrigin(t); // an upgraded origin connection: the tunnel closed it, this frees its buffer and pool count
    runTxnCloseHooks(t);
  }

  private static String stripPort(String host) {
    if (host.startsWith("[")) {
      int end = host.indexOf(']');
      return end < 0 ? host : host.substring(0, end + 1);
    }
    int colon = host.indexOf(':');
    return colon < 0 ? host : host.substring(0, colon);
  }

  // ------------------------------------------------------------------------------------------------ origin

  /** Gets a connection for {@code t}: a pooled one if {@code mayReuse} and one is sound, else a new one. */
  private void connectOrigin(HttpTransaction t, String host, int port, boolean mayReuse) {
    String key = (t.originTls ? "https://" : "") + host + ":" + port;
    OriginConnection pooled = mayReuse ? proxy.originPool().take(key) : null;
    if (pooled != null) {
      t.originReused = true;
      originReady(t, pooled);
      return;
    }
    t.originReused = false;
    if (!proxy.originPool().reserve(key)) {
      t.failure = "origin " + key + " is at its connection limit";
      sendError(t, 503, t.failure);
      return;
    }
    t.step = Step.CONNECTING;
    t.attempts++;
    ConnectAttempt attempt = new ConnectAttempt(t, key);
    t.connectAttempt = attempt;
    // The connector's events carry the VConn or the error; route them through the control continuation so the
    // attempt they belong to is known.
    Continuation onConnect = new Continuation((event, data) -> {
      attempt.result = data;
      onControlEvent(event, attempt);
    }, lock);
    t.connectAction = config.originConnector().connect(onConnect, host, port, t.originTls,
        config.timeouts().connect());
  }

  private void connectDone(ConnectAttempt attempt, Event event) {
    HttpTransaction t = attempt.txn;
    Object result = attempt.result;
    if (t != txn || t.connectAttempt != attempt || t.step != Step.CONNECTING) {
      if (event == Event.NET_CONNECT && result instanceof VConn stale) {
        stale.close();
        if (attempt.reserved) {
          proxy.originPool().unreserve(attempt.key);
        }
      }
      return;
    }
    t.connectAttempt = null;
    t.connectAction = null;
    if (!attempt.reserved) {
      tunnelConnectDone(t, attempt, event);
      return;
    }
    if (event == Event.NET_CONNECT && result instanceof VConn vconn) {
      originReady(t, new OriginConnection(vconn, attempt.key, config.blockPool(), config.bufferIndex(),
          config.limits().maxHeaderBytes() + 1L, true));
      return;
    }
    proxy.originPool().unreserve(attempt.key);
    VConnError error = result instanceof VConnError e ? e : null;
    boolean timedOut = error != null && error.errno() == Errno.ETIMEDOUT;
    String reason = "connecting to origin " + attempt.key + " failed: " + describe(error);
    if (canRetry(t)) {
      retry(t);
    } else {
      t.failure = reason;
      sendError(t, timedOut ? 504 : 502, reason);
    }
  }

  private void startIntercept(HttpTransaction t) {
    t.origin = "intercept";
    VConnPair.Options options = new VConnPair.Options(pluginTag == null ? "intercept" : pluginTag, t.id,
        config.bufferIndex(), 0, clientAddress);
    VConnPair pair = VConnPair.open(loop, options);
    HttpRequestHead req = t.clientRequest;
    HttpHeaders forwarded = proxy.headerRules().forwardedRequest(req.headers(), req.version());
    if (forwarded.get(HttpHeaders.HOST) == null) {
      // An HTTP/1.0 client may omit Host, but the intercept reads HTTP/1.1, which must carry one (RFC 9112 §3.2):
      // the authority of an absolute-form target, else empty. Without it a strict server answers 400.
      String target = req.target();
      int slash = target.indexOf('/', 7);
      boolean absolute = target.regionMatches(true, 0, "http://", 0, 7);
      forwarded.set(HttpHeaders.HOST, !absolute ? "" : slash < 0 ? target.substring(7) : target.substring(7, slash));
    }
    t.serverRequest = new HttpRequestHead(req.method(), req.target(), HttpVersion.HTTP_1_1, forwarded);
    OriginConnection conn = new OriginConnection(pair.active(), "intercept", config.blockPool(),
        config.bufferIndex(), config.limits().maxHeaderBytes() + 1L, false);
    ContinuationScheduler.dispatch(loop, t.interceptServer, Event.NET_ACCEPT, pair.passive());
    originReady(t, conn);
  }

  private void originReady(HttpTransaction t, OriginConnection conn) {
    t.originConn = conn;
    conn.readBuffer.setWaterMark(config.limits().maxHeaderBytes() + 1L); // room for a response head
    t.originEos = false;
    t.originWriteFailed = false;
    t.originRead = conn.vconn.read(originCont, Long.MAX_VALUE, conn.readBuffer);
    conn.vconn.setInactivityTimeout(config.timeouts().inactivity());
    if (t.requestBuffer != null) {
      sendRequest(t); // a retry: the request is still whole in its buffer
    } else {
      t.hooks.run(HttpHookId.SEND_REQUEST_HDR, () -> sendRequest(t));
    }
  }

  private void sendRequest(HttpTransaction t) {
    t.step = Step.WAIT_RESPONSE;
    if (t.requestBuffer == null) {
      t.requestBuffer = new IOBuffer(config.blockPool(), config.bufferIndex());
      t.requestReader = t.requestBuffer.allocReader();
      if (t.originReused) {
        t.replayReader = t.requestBuffer.allocReader(); // the request may have to go again on a new connection
      }
      t.requestHasBody = !t.requestBodyDone;
      t.requestHeadBytes = t.requestBuffer.write(t.serverRequest.toBytes());
      t.requestSink = new BodySink(t.requestBuffer, t.requestReader, bodyLimit, t.clientRequest.headers().isChunked());
      if (t.expectContinue && clientReader.readAvail() == 0) {
        writeToClient(CONTINUE_100);
      }
    } else if (t.originReused && t.replayReader == null && !t.reuseRetried) {
      t.replayReader = t.requestReader.cloneReader(); // a retry after a failed connect: nothing of it went out yet
    }
    t.originWrite = t.originConn.vconn.write(originCont, Long.MAX_VALUE, t.requestReader);
    if (t.requestBodyDone) {
      arm(TimerKind.RESPONSE);
    } else {
      client.setInactivityTimeout(config.timeouts().inactivity()); // a client that stalls its upload
    }
    pumpRequestBody(t);
    originReadable(t); // an intercept or a fast origin may have answered already
  }

  private void pumpRequestBody(HttpTransaction t) {
    // After an error response the rest of the body is not read: decoding a bad body again (on the client's EOS, say)
    // would answer a second time, which aborts the connection and loses the error response already queued.
    if (t.requestSink == null || t.requestBodyDone || t.errorSent) {
      return;
    }
    long consumed;
    try {
      consumed = t.requestBody.decode(clientReader, t.requestSink);
    } catch (BadMessageException e) {
      t.failure = e.getMessage();
      sendError(t, e.status(), e.getMessage()); // 400, or 431 for a trailer section over the head limits
      return;
    }
    t.bytesIn += consumed;
    if (t.replayReader != null && t.replayReader.readAvail() > t.requestHeadBytes + bodyLimit) {
      dropReplay(t); // a long body is not kept for a retry: it would pin every block of it
    }
    boolean progressed = consumed > 0;
    if (t.requestBody.isDone()) {
      // Request trailers go on as received, minus the fields that may not be trailers; the origin gets them only if
      // the request is forwarded chunked, which it is exactly when it came chunked (docs/http.md, "Trailers").
      t.clientRequestTrailers = t.requestBody.trailers();
      t.requestSink.end(ProxyHeaderRules.forwardedTrailers(t.clientRequestTrailers));
      t.requestBodyDone = true;
      progressed = true;
      client.cancelInactivityTimeout();
      if (t.step == Step.WAIT_RESPONSE) {
        arm(TimerKind.RESPONSE);
      }
    } else if (clientEos && clientReader.readAvail() == 0) {
      abortTransaction("client closed the connection in the middle of the request body");
      return;
    }
    // Only after adding bytes: reenabling a write whose buffer is empty gets WRITE_READY at once, which calls back
    // here, and the two would spin without ever letting the loop idle.
    if (progressed && t.originWrite != null) {
      t.originWrite.reenable();
    }
    if (!clientEos) {
      clientRead.reenable(); // after EOS the rest is in the buffer; a reenable would only repeat EOS
    }
  }

  /**
   * Whether a request that failed on a connection taken from the pool goes again, once, on a new connection. The
   * origin most likely closed the idle connection while our request crossed its FIN, which the pool cannot see
   * before a read (docs/http.md, Origins). Only before any response byte arrived, only if the proxy still holds the
   * request's bytes, and only if a second copy cannot repeat a side effect: the method is idempotent, nothing was
   * sent, or the request has a body of which nothing was sent (the origin cannot have had the whole request).
   */
  private boolean canRetryOnNewConnection(HttpTransaction t) {
    if (!t.originReused || t.reuseRetried || t.interceptServer != null || t.serverResponse != null
        || t.step != Step.WAIT_RESPONSE || t.replayReader == null || t.errorSent) {
      return false;
    }
    if (t.originRead != null && t.originRead.ndone() > 0) {
      return false; // the origin answered something (an interim response, a partial head): not a stale connection
    }
    long sent = t.originWrite == null ? 0 : t.originWrite.ndone();
    return IDEMPOTENT.contains(t.clientRequest.method()) || sent == 0
        || (t.requestHasBody && sent <= t.requestHeadBytes);
  }

  /** Sends the request again from its first byte on a new connection (never a pooled one). */
  private void retryOnNewConnection(HttpTransaction t, String reason) {
    LOG.debug("{} failed on a reused origin connection ({}); sending it again on a new one", t, reason);
    t.reuseRetried = true;
    closeOrigin(t);
    cancelTimer(); // the response timer; sendRequest arms it again
    t.requestReader.free();
    t.requestReader = t.replayReader;
    t.replayReader = null;
    // The new sink only bounds what is pending; if the body already ended, its end is in the buffer to replay.
    t.requestSink = new BodySink(t.requestBuffer, t.requestReader, bodyLimit, t.clientRequest.headers().isChunked());
    connectOrigin(t, t.originHost, t.originPort, false);
  }

  private static void dropReplay(HttpTransaction t) {
    if (t.replayReader != null) {
      t.replayReader.free();
      t.replayReader = null;
    }
  }

  private boolean canRetry(HttpTransaction t) {
    return IDEMPOTENT.contains(t.clientRequest.method()) && t.attempts <= config.maxRetries()
        && (t.originWrite == null || t.originWrite.ndone() == 0) && t.interceptServer == null;
  }

  private void retry(HttpTransaction t) {
    LOG.debug("retrying {} on a new connection (attempt {})", t, t.attempts + 1);
    if (t.originConn != null) {
      closeOrigin(t);
    }
    connectOrigin(t, t.originHost, t.originPort, true);
  }

  private void originFailed(HttpTransaction t, boolean timedOut, String reason) {
    if (!timedOut && canRetryOnNewConnection(t)) {
      retryOnNewConnection(t, reason);
      return;
    }
    if (t.serverResponse == null && t.step == Step.WAIT_RESPONSE && !timedOut && canRetry(t)) {
      retry(t);
      return;
    }
    if (t.status == 0) {
      t.failure = reason;
      sendError(t, timedOut ? 504 : 502, reason);
    } else {
      abortTransaction(reason);
    }
  }

  /**
   * The origin stopped taking the request (it closed or shut down its read side). That is not the end of the
   * transaction: an origin may answer early and close (a 413, or an intercept that answers without reading), so
   * the read side decides, unless nothing was sent yet and the request may be retried.
   */
  private void originWriteFailed(HttpTransaction t) {
    t.originWriteFailed = true;
    if (canRetryOnNewConnection(t)) {
      retryOnNewConnection(t, "origin stopped taking the request: " + describe(t.originConn.vconn.error()));
    } else if (t.serverResponse == null && t.step == Step.WAIT_RESPONSE && canRetry(t)) {
      retry(t);
    }
  }

  private void closeOrigin(HttpTransaction t) {
    if (t.tunnelOrigin != null && t.tunnel == null) {
      t.tunnelOrigin.close(); // a CONNECT target that never got its tunnel
    }
    t.tunnelOrigin = null;
    OriginConnection c = t.originConn;
    t.originConn = null;
    t.originRead = null;
    t.originWrite = null;
    if (c != null) {
      if (c.poolable) {
        proxy.originPool().close(c);
      } else {
        c.close();
      }
    }
  }

  // ------------------------------------------------------------------------------------------------ response

  private void originReadable(HttpTransaction t) {
    switch (t.step) {
      case WAIT_RESPONSE -> readResponseHead(t);
      case RESPONSE_BODY, SENDING_LAST -> pumpResponse();
      default -> { } // a hook is running: the bytes wait in the buffer (read-ahead stops at the limit)
    }
  }

  private void readResponseHead(HttpTransaction t) {
    OriginConnection c = t.originConn;
    while (true) {
      HttpHeadParser.Result<HttpResponseHead> result = proxy.parser().parseResponse(c.reader);
      if (result instanceof HttpHeadParser.Rejected<HttpResponseHead> rejected) {
        originFailed(t, false, "bad response from origin: " + rejected.reason());
        return;
      }
      if (!(result instanceof HttpHeadParser.Parsed<HttpResponseHead> parsed)) {
        if (t.originEos) {
          originFailed(t, false, "origin closed the connection before it sent a response");
        } else {
          t.originRead.reenable();
        }
        return;
      }
      HttpResponseHead head = parsed.head();
      if (head.status() == 101) {
        if (!t.requestBodyDone || t.requestHasBody
            || !ProxyHeaderRules.switchAccepted(t.clientRequest, t.serverRequest, head)) {
          originFailed(t, false, "origin switched protocols the client did not ask for");
          return;
        }
        cancelTimer();
        switchProtocols(t, head);
        return;
      }
      if (head.isInformational()) {
        // 100 Continue and other interim responses: the proxy answered the client's Expect itself. Capped, so an
        // origin that sends them without end cannot keep the proxy reading (and parsing) without end.
        t.interimResponses++;
        t.interimBytes += parsed.headBytes();
        HttpLimits limits = config.limits();
        if (t.interimResponses > limits.maxInterimResponses() || t.interimBytes > limits.maxHeaderBytes()) {
          originFailed(t, false, "origin sent more than " + limits.maxInterimResponses() + " interim responses or "
              + limits.maxHeaderBytes() + " bytes of them");
          return;
        }
        continue;
      }
      cancelTimer();
      responseHead(t, head);
      return;
    }
  }

  private void responseHead(HttpTransaction t, HttpResponseHead head) {
    t.serverResponse = head;
    dropReplay(t); // the response started: no retry any more
    // The head is read: the body needs only the block-sized read-ahead, not room for a whole head (saves up to
    // 32 KiB per slow client).
    t.originConn.readBuffer.setWaterMark(0);
    HttpHeaders h = head.headers();
    try {
      t.responseBody = BodyDecoder.forResponse(t.clientRequest.method(), head, config.limits());
    } catch (BadMessageException e) {
      originFailed(t, false, "bad Content-Length from origin");
      return;
    }
    t.hasResponseBody = !t.responseBody.isDone();
    Set<String> connection = h.connectionTokens();
    t.originKeepAlive = !t.responseBody.isCloseDelimited() && (head.version() == HttpVersion.HTTP_1_1
        ? !connection.contains("close") : connection.contains("keep-alive"));
    t.step = Step.READ_RESPONSE_HOOK;
    t.hooks.run(HttpHookId.READ_RESPONSE_HDR, () -> buildClientResponse(t));
  }

  /**
   * An accepted {@code 101 Switching Protocols} (docs/http.md, Upgrades): the response hooks run as for any response,
   * then the 101 goes to the client and client and origin are spliced like a CONNECT tunnel. No transform applies
   * and the connections end with the tunnel.
   */
  private void switchProtocols(HttpTransaction t, HttpResponseHead head) {
    t.serverResponse = head;
    dropReplay(t);
    t.clientKeepAlive = false;
    t.step = Step.READ_RESPONSE_HOOK;
    t.hooks.run(HttpHookId.READ_RESPONSE_HDR, () -> {
      HttpResponseHead server = t.serverResponse;
      t.clientResponse = new HttpResponseHead(HttpVersion.HTTP_1_1, server.status(), server.reason(),
          proxy.headerRules().switchingProtocolsResponse(server));
      t.step = Step.SEND_RESPONSE_HOOK;
      t.hooks.run(HttpHookId.SEND_RESPONSE_HDR, () -> startTunnel(t, t.originConn.vconn, t.originConn.reader));
    });
  }

  private void buildClientResponse(HttpTransaction t) {
    HttpResponseHead server = t.serverResponse;
    boolean transformed = t.hasResponseBody && !t.transformsSnapshot().isEmpty();
    ProxyHeaderRules.ClientResponseFields fields = proxy.headerRules().clientResponse(server,
        t.clientRequest.version(), t.hasResponseBody, transformed, t.clientKeepAlive && !draining);
    t.clientKeepAlive = fields.keepAlive();
    t.clientResponse = new HttpResponseHead(HttpVersion.HTTP_1_1, server.status(), server.reason(), fields.headers());
    t.step = Step.SEND_RESPONSE_HOOK;
    t.hooks.run(HttpHookId.SEND_RESPONSE_HDR, () -> sendResponseHead(t, transformed));
  }

  private void sendResponseHead(HttpTransaction t, boolean transformed) {
    HttpResponseHead head = t.clientResponse;
    t.status = head.status();
    byte[] headBytes = head.toBytes();
    writeToClient(headBytes);
    t.responseHeadAt = clientWrite.ndone() + responseReader.readAvail() - headBytes.length;
    t.step = Step.RESPONSE_BODY;
    t.clientSink = new BodySink(responseBuffer, responseReader, bodyLimit, head.headers().isChunked());
    if (!t.hasResponseBody) {
      finishResponse(t);
      return;
    }
    if (transformed) {
      startTransforms(t);
    }
    client.setInactivityTimeout(config.timeouts().inactivity()); // a client that stops reading the body
    pumpResponse();
  }

  private void startTransforms(HttpTransaction t) {
    List<Continuation> transforms = t.transformsSnapshot();
    List<VConnPair> pairs = new ArrayList<>();
    VConnPair.Options options = new VConnPair.Options("transform", t.id, config.bufferIndex(), 0, clientAddress);
    for (int i = 0; i <= transforms.size(); i++) {
      pairs.add(VConnPair.open(loop, options));
    }
    t.transformPairs = pairs;
    t.transformInBuffer = new IOBuffer(config.blockPool(), config.bufferIndex());
    t.transformInReader = t.transformInBuffer.allocReader();
    t.transformSink = new BodySink(t.transformInBuffer, t.transformInReader, bodyLimit, false);
    t.transformInWrite = pairs.get(0).active().write(transformCont, Long.MAX_VALUE, t.transformInReader);
    t.transformOutBuffer = new IOBuffer(config.blockPool(), config.bufferIndex());
    t.transformOutReader = t.transformOutBuffer.allocReader();
    t.transformOutRead = pairs.get(pairs.size() - 1).passive().read(transformCont, Long.MAX_VALUE,
        t.transformOutBuffer);
    for (int i = 0; i < transforms.size(); i++) {
      Continuation c = transforms.get(i);
      Transform stage = new Transform(t, c, pairs.get(i).passive(), pairs.get(i + 1).active(), config.blockPool());
      ContinuationScheduler.dispatch(loop, c, Event.IMMEDIATE, stage);
    }
  }

  /** Moves response bytes as far as the buffers on the way allow; called on every event that may unblock it. */
  private void pumpResponse() {
    HttpTransaction t = txn;
    if (t == null || t.step != Step.RESPONSE_BODY || t.responseDone) {
      return;
    }
    OriginConnection c = t.originConn;
    BodySink firstSink = t.transformPairs == null ? t.clientSink : t.transformSink;
    boolean sourceDone = t.responseBody.isDone();
    long sinkBefore = firstSink.written();
    if (!sourceDone) {
      try {
        long consumed = t.responseBody.decode(c.reader, firstSink);
        if (t.originEos && c.reader.readAvail() == 0 && !t.responseBody.isDone()) {
          t.responseBody.endOfStream();
        }
        sourceDone = t.responseBody.isDone();
        if (!t.originEos && (consumed > 0 || !sourceDone)) {
          t.originRead.reenable(); // never after EOS: a reenable repeats EOS (semantics.md rule 3.4) and would spin
        }
      } catch (BadMessageException e) {
        badResponseBody(t, "bad response body from origin: " + e.getMessage());
        return;
      }
    }
    // Write VIOs are reenabled only when bytes were added: this runs on their WRITE_READY, and a reenable with an
    // empty buffer answers WRITE_READY at once, so an unconditional one spins while the origin is slow.
    boolean added = firstSink.written() != sinkBefore;
    if (t.transformPairs == null) {
      if (added) {
        clientWrite.reenable();
      }
      if (sourceDone) {
        finishResponse(t);
      }
      return;
    }
    if (added) {
      t.transformInWrite.reenable();
    }
    if (sourceDone && !t.transformInEnded) {
      t.transformInEnded = true;
      t.transformInWrite.setNBytes(t.transformSink.written());
      t.transformInWrite.reenable();
    }
    long n = Math.min(t.transformOutReader.readAvail(), t.clientSink.space());
    if (n > 0) {
      t.clientSink.write(t.transformOutReader, n);
      clientWrite.reenable();
    }
    if (!t.transformOutEos) {
      t.transformOutRead.reenable();
    }
    if (t.transformOutEos && t.transformOutReader.readAvail() == 0) {
      finishResponse(t);
    }
  }

  /**
   * The origin's body is malformed or ended before its framing said (a bad chunk size, a close in the middle). While
   * no byte of the response head has left the proxy (the head and the first body bytes are written in one go, so a
   * body that is bad from its first bytes is caught here), the head is taken back and the client gets 502.
   * Otherwise the client gets every byte the proxy already has, then a normal close without the end of the body (no
   * last chunk, or fewer bytes than its Content-Length), so it sees the truncation instead of a reset that would drop
   * what was queued.
   */
  private void badResponseBody(HttpTransaction t, String reason) {
    t.failure = reason;
    if (t.responseHeadAt >= 0 && clientWrite != null && clientWrite.ndone() <= t.responseHeadAt) {
      LOG.debug("taking back the response head for {}: {}", t, reason);
      responseReader.consume(responseReader.readAvail()); // only this transaction's bytes wait there
      t.status = 0;
      t.clientResponse = null;
      t.hooks.forgetHookPoint(); // SEND_RESPONSE_HDR hooks see the 502 that replaces the head they saw
      sendError(t, 502, reason);
      return;
    }
    LOG.debug("truncating the response of {}: {}", t, reason);
    t.clientKeepAlive = false;
    t.responseDone = true;
    closeOrigin(t);
    closeTransforms(t);
    t.step = Step.SENDING_LAST;
    flushClient(); // WRITE_COMPLETE ends the transaction; the connection then closes normally
  }

  private void finishResponse(HttpTransaction t) {
    t.responseDone = true;
    t.serverResponseTrailers = t.responseBody.trailers();
    // Trailers reach the client only if it said it takes them (TE: trailers) and the body goes to it chunked; a
    // transformed body gets them after its last transformed byte (docs/http.md, "Trailers").
    boolean passTrailers = ProxyHeaderRules.acceptsTrailers(t.clientRequest.headers());
    t.clientSink.end(passTrailers ? ProxyHeaderRules.forwardedTrailers(t.serverResponseTrailers) : new HttpHeaders());
    t.step = Step.SENDING_LAST;
    flushClient();
  }

  // ------------------------------------------------------------------------------------------------ client writes

  private void writeToClient(byte[] bytes) {
    if (clientWrite == null || clientWrite.isComplete() || clientWrite.isRetired()) {
      clientWrite = client.write(clientCont, Long.MAX_VALUE, responseReader);
    }
    responseBuffer.write(bytes);
    clientWrite.reenable();
  }

  /** Everything for this transaction is in the response buffer: WRITE_COMPLETE comes once it is all sent. */
  private void flushClient() {
    long total = clientWrite.ndone() + responseReader.readAvail();
    clientWrite.setNBytes(total);
    clientWrite.reenable();
  }

  private void sendError(HttpTransaction t, int status, String reason) {
    if (t.status != 0 || t.errorSent) {
      abortTransaction(reason);
      return;
    }
    LOG.debug("answering {} to {}: {}", status, clientAddress, reason);
    t.errorSent = true;
    t.clientKeepAlive = false;
    cancelTimer();
    cancelConnect(t);
    closeOrigin(t);
    closeTransforms(t);
    proxy.stats.errorResponses.increment();
    String phrase = HttpStatus.reason(status);
    byte[] body = (status + " " + phrase + "\n").getBytes(StandardCharsets.ISO_8859_1);
    HttpHeaders headers = new HttpHeaders()
        .add("Content-Type", "text/plain; charset=utf-8")
        .add(HttpHeaders.CONTENT_LENGTH, Integer.toString(body.length))
        .add(HttpHeaders.CONNECTION, "close");
    proxy.headerRules().appendVia(headers, HttpVersion.HTTP_1_1);
    t.clientResponse = new HttpResponseHead(HttpVersion.HTTP_1_1, status, phrase, headers);
    t.status = status;
    boolean head = t.clientRequest != null && t.clientRequest.method().equals("HEAD");
    Runnable write = () -> {
      writeToClient(t.clientResponse.toBytes());
      if (!head) {
        responseBuffer.write(body);
      }
      t.responseDone = true;
      t.step = Step.SENDING_LAST;
      flushClient();
    };
    if (t.hooks.hookPoint() == HttpHookId.SEND_RESPONSE_HDR) {
      write.run(); // the error came out of that very hook: do not run it again
    } else {
      // Like Traffic Server, plugins see the responses the proxy makes itself too (they may add fields).
      t.step = Step.SEND_RESPONSE_HOOK;
      t.hooks.run(HttpHookId.SEND_RESPONSE_HDR, write);
    }
  }

  // ------------------------------------------------------------------------------------------------ ending

  private void endTransaction() {
    HttpTransaction t = txn;
    // The whole response is sent. The origin connection can serve another request only if both messages ended
    // cleanly on it.
    if (t.originConn != null) {
      OriginConnection c = t.originConn;
      boolean reusable = c.poolable && t.originKeepAlive && !t.originWriteFailed && t.responseDone
          && t.requestBodyDone
          && t.requestReader != null && t.requestReader.readAvail() == 0 && c.reader.readAvail() == 0
          && !t.originEos && !t.errorSent;
      if (reusable) {
        t.originWrite.cancel();
        t.originRead.cancel();
        t.originConn = null;
        proxy.originPool().release(c);
      } else {
        closeOrigin(t);
      }
    }
    closeTransforms(t);
    if (!t.requestBodyDone) {
      t.clientKeepAlive = false; // the rest of the request body is still in the way of the next request
    }
    runTxnCloseHooks(t);
  }

  /** The transaction cannot finish normally: the client gets no (more) response and the connection closes. */
  private void abortTransaction(String reason) {
    HttpTransaction t = txn;
    if (t == null) {
      close();
      return;
    }
    if (t.failure == null) {
      t.failure = reason;
    }
    LOG.debug("aborting {} for {}: {}", t, clientAddress, reason);
    t.clientKeepAlive = false;
    cancelTimer();
    cancelConnect(t);
    closeOrigin(t);
    closeTransforms(t);
    releaseClient();
    runTxnCloseHooks(t);
  }

  private void runTxnCloseHooks(HttpTransaction t) {
    t.step = Step.TXN_CLOSE_HOOK;
    t.hooks.run(HttpHookId.TXN_CLOSE, () -> transactionEnded(t));
  }

  private void transactionEnded(HttpTransaction t) {
    t.step = Step.DONE;
    long out = (clientWrite == null ? 0 : clientWrite.ndone()) + t.tunnelBytesOut;
    if (t.requestBuffer != null) {
      t.requestBuffer.close();
      t.requestBuffer = null;
    }
    proxy.stats.transactions.increment();
    if (internal) {
      proxy.stats.inProcessTransactions.increment();
    }
    proxy.stats.bytesIn.add(t.bytesIn);
    proxy.stats.bytesOut.add(out);
    HttpRequestHead req = t.clientRequest;
    long millis = TimeUnit.NANOSECONDS.toMillis(loop.nanoTime() - t.startNanos);
    AccessLogRecord record = new AccessLogRecord(clientAddress, req == null ? "-" : req.method(),
        req == null ? "-" : req.target(), t.status, t.bytesIn, out, millis, t.origin, pluginTag, pluginId,
        internal, t.clientTls().orElse(null));
    try {
      config.accessLog().log(record);
    } catch (RuntimeException e) {
      LOG.warn("access log failed", e);
    }
    txn = null;
    clientWrite = null;
    if (phase == Phase.CLOSED) {
      ssnHooks.sessionEnded(); // the session closed while this transaction was ending: SSN_CLOSE follows TXN_CLOSE
      return;
    }
    if (t.clientKeepAlive && (!clientEos || clientReader.readAvail() > 0)) {
      enterIdle(); // after a half-close, requests already pipelined are still answered
    } else {
      linger();
    }
  }

  /** Done with the client: shut down our write side and read until it closes too, so it sees our last bytes. */
  private void linger() {
    if (clientEos || client.closeState() != CloseState.OPEN) {
      close();
      return;
    }
    phase = Phase.LINGER;
    client.shutdown(ShutdownHow.WRITE);
    arm(TimerKind.LINGER);
    clientReadable();
  }

  /** Stops all client I/O for a failed transaction (the session closes once TXN_CLOSE hooks are done). */
  private void releaseClient() {
    phase = Phase.LINGER;
    clientEos = true;
    client.abort(Errno.ECONNABORTED, null);
  }

  private void cancelConnect(HttpTransaction t) {
    if (t.connectAction != null) {
      t.connectAction.cancel();
      t.connectAction = null;
    }
    ConnectAttempt attempt = t.connectAttempt;
    if (attempt != null) {
      t.connectAttempt = null;
      if (attempt.reserved) {
        proxy.originPool().unreserve(attempt.key);
      }
    }
  }

  private void closeTransforms(HttpTransaction t) {
    if (t.transformPairs == null) {
      return;
    }
    List<VConnPair> pairs = t.transformPairs;
    t.transformPairs = null;
    pairs.get(0).active().close();
    pairs.get(pairs.size() - 1).passive().close();
    t.transformInBuffer.close();
    t.transformOutBuffer.close();
  }

  /** Closes the client connection and frees everything this session holds. Idempotent. */
  void close() {
    if (phase == Phase.CLOSED) {
      return;
    }
    phase = Phase.CLOSED;
    cancelTimer();
    if (txn != null && txn.tunnel != null) {
      txn.tunnel.close(); // before the client: the tunnel's buffers go back only through it
    }
    client.close();
    HttpTransaction t = txn;
    if (t != null) {
      cancelConnect(t);
      closeOrigin(t);
      closeTransforms(t);
      if (t.requestBuffer != null) {
        t.requestBuffer.close();
        t.requestBuffer = null;
      }
      if (t.step != Step.DONE && t.step != Step.TXN_CLOSE_HOOK && !t.hooks.holds()) {
        // Nobody else will end it: log it now. A transaction in a hook chain is ended when the hook resumes it.
        transactionEndedAfterClose(t);
      }
    }
    if (clientBuffer != null) {
      clientBuffer.close();
      responseBuffer.close();
    }
    proxy.sessionClosed(this);
    if (txn == null) {
      ssnHooks.sessionEnded(); // no transaction left to end: SSN_CLOSE now (else after its TXN_CLOSE)
    }
  }

  private void transactionEndedAfterClose(HttpTransaction t) {
    t.hooks.run(HttpHookId.TXN_CLOSE, () -> transactionEnded(t));
  }

  // ------------------------------------------------------------------------------------------------ hooks

  /**
   * A hook chain finished. The time the hooks held the transaction does not count against the peers, and a
   * timeout that fired meanwhile was ignored (inactivity timers fire once and re-arm only on a transfer), so the
   * clocks of what is still being timed start again.
   */
  private void restartClocks(HttpTransaction t, HttpHookId hook) {
    if (phase == Phase.CLOSED || hook == HttpHookId.TXN_CLOSE) {
      return;
    }
    if (t.originConn != null) {
      t.originConn.vconn.setInactivityTimeout(config.timeouts().inactivity());
    }
    if (t.requestSink != null && !t.requestBodyDone) {
      client.setInactivityTimeout(config.timeouts().inactivity());
    }
  }

  // ------------------------------------------------------------------------------------------------ timers

  private void arm(TimerKind kind) {
    cancelTimer();
    Duration delay = switch (kind) {
      case KEEP_ALIVE_IDLE -> config.timeouts().keepAliveIdle();
      case HEADER -> config.timeouts().header();
      case RESPONSE -> config.timeouts().response();
      case LINGER -> config.timeouts().linger();
    };
    TimerToken token = new TimerToken(kind);
    timerToken = token;
    timer = ContinuationScheduler.schedule(loop, controlCont, Event.TIMEOUT, token, delay);
  }

  private void cancelTimer() {
    if (timer != null) {
      timer.cancel();
      timer = null;
    }
    timerToken = null;
  }

  private void timerFired(TimerKind kind) {
    switch (kind) {
      case KEEP_ALIVE_IDLE, LINGER -> close();
      case HEADER -> {
        if (transactions == 0 && clientReader.readAvail() == 0) {
          close(); // never sent a byte: nothing to answer, closed silently like an idle keep-alive connection
          return;
        }
        HttpTransaction t = newTransaction();
        t.bytesIn = clientReader.readAvail();
        t.failure = "request head not complete within " + config.timeouts().header().toMillis() + " ms";
        clientReader.consume(clientReader.readAvail());
        sendError(t, 408, t.failure);
      }
      case RESPONSE -> {
        HttpTransaction t = txn;
        if (t != null && t.step == Step.WAIT_RESPONSE) {
          originFailed(t, true, "origin sent no response within " + config.timeouts().response().toMillis()
              + " ms");
        }
      }
      default -> { }
    }
  }

  private static String describe(VConnError error) {
    if (error == null) {
      return "unknown error";
    }
    return Errno.name(error.errno()) + (error.message() == null ? "" : " (" + error.message() + ")");
  }
}
