package dev.vconn.domain.http;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.VIO;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.pair.VConnPair;
import dev.vconn.domain.tls.TlsVConn;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transaction state machine (Traffic Server's {@code HttpSM}): takes one request from a client side
 * ({@link ClientSide}) through its hooks, routing, an intercept or an origin (connect, retries), to the response,
 * or to an error response, or to a blind tunnel. It knows no client protocol: a second one drives it through the
 * same seam (docs/http.md, "Code layout").
 *
 * <p>{@link State} is the one source of truth of where the transaction stands. Every change goes through
 * {@link #transition(State)}, which checks the table of allowed transitions (an illegal one throws
 * {@link IllegalStateException} naming both states) and runs the new state's handler, one {@code state*} method per
 * state. Events (the origin's, the transforms', timers, hook resumes, connect results) are read in the light of the
 * state. The bodies move in the {@link HttpTunnel}; the header rules are {@link ProxyHeaderRules}'s.
 *
 * <p>Runs under the client side's lock; an exception while handling an event closes the client side.
 */
final class HttpSM implements HookChain.Owner, HttpTunnel.Owner {
  private static final Logger LOG = LoggerFactory.getLogger(HttpSM.class);
  /** IMF-fixdate (RFC 9110, section 5.6.7): two-digit day, English names, always GMT. */
  private static final DateTimeFormatter IMF_FIXDATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ENGLISH).withZone(ZoneOffset.UTC);
  private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE");

  /** Where the transaction stands; docs/http.md ("Code layout") lists what runs in each and where it goes next. */
  enum State {
    /** The request head arrived (or failed to): framing and expectations are checked. */
    NEW(null),
    /** READ_REQUEST_HDR hooks run. */
    READ_REQUEST_HOOK(HttpHookId.READ_REQUEST_HDR),
    /** PRE_REMAP hooks run. */
    PRE_REMAP_HOOK(HttpHookId.PRE_REMAP),
    /** Routing: the CONNECT target, an intercept, or the origin of the first remap rule that matches. */
    REMAP(null),
    /** POST_REMAP hooks run. */
    POST_REMAP_HOOK(HttpHookId.POST_REMAP),
    /** The request head for the origin (or the intercept) is built. */
    ORIGIN_REQUEST(null),
    /** Getting an origin connection: a sound pooled one, or a new one (waiting for the connector). */
    ORIGIN_CONNECT(null),
    /** SEND_REQUEST_HDR hooks run. */
    SEND_REQUEST_HOOK(HttpHookId.SEND_REQUEST_HDR),
    /** The request goes to the origin (its body streams on in later states); waiting for the response head. */
    WAIT_RESPONSE(null),
    /** READ_RESPONSE_HDR hooks run. */
    READ_RESPONSE_HOOK(HttpHookId.READ_RESPONSE_HDR),
    /** The client's response head is built from the origin's. */
    CLIENT_RESPONSE(null),
    /** SEND_RESPONSE_HDR hooks run, for an origin's response (a 101 too), an error response or a CONNECT's 200. */
    SEND_RESPONSE_HOOK(HttpHookId.SEND_RESPONSE_HDR),
    /** The response head is out; its body streams to the client (through the transforms, if any). */
    RESPONSE_BODY(null),
    /** An error response the proxy makes itself is written. */
    ERROR_RESPONSE(null),
    /** The whole response is queued; waiting until the client took it. */
    SENDING_LAST(null),
    /** CONNECT: waiting for the connection to the target. */
    TUNNEL_CONNECT(null),
    /** CONNECT or an accepted 101: client and target (or upgraded origin) are spliced both ways. */
    BLIND_TUNNEL(null),
    /** TXN_CLOSE hooks run. */
    TXN_CLOSE_HOOK(HttpHookId.TXN_CLOSE),
    /** Logged and counted; the client side serves the next transaction or ends. */
    DONE(null);

    /** The hook point this state runs, or null if it runs none. */
    final HttpHookId hook;

    State(HttpHookId hook) {
      this.hook = hook;
    }

    /**
     * Whether a hook chain holds the transaction in this state. Timeouts and read errors then wait: acting on them
     * would answer (or run TXN_CLOSE) while a plugin still owns the transaction and is yet to reenable it. The
     * state, not {@link HookChain#stoppedAt()}, says so: stoppedAt is already clear while a reenable is on its way.
     */
    boolean isHook() {
      return hook != null;
    }
  }

  /** The allowed transitions; {@link #transition} rejects every other. */
  private static final Map<State, Set<State>> NEXT = transitions();
  /**
   * {@link #NEXT} as one bit per target state, indexed by the source state's ordinal: {@link #transition} checks a
   * bit instead of an EnumMap lookup and a set's membership test, a dozen times per transaction.
   */
  private static final long[] NEXT_BITS = transitionBits();

  private static Map<State, Set<State>> transitions() {
    Map<State, Set<State>> next = new EnumMap<>(State.class);
    next.put(State.NEW, EnumSet.of(State.READ_REQUEST_HOOK));
    next.put(State.READ_REQUEST_HOOK, EnumSet.of(State.PRE_REMAP_HOOK));
    next.put(State.PRE_REMAP_HOOK, EnumSet.of(State.REMAP));
    next.put(State.REMAP, EnumSet.of(State.POST_REMAP_HOOK));
    next.put(State.POST_REMAP_HOOK, EnumSet.of(State.ORIGIN_REQUEST, State.TUNNEL_CONNECT));
    next.put(State.ORIGIN_REQUEST, EnumSet.of(State.ORIGIN_CONNECT, State.SEND_REQUEST_HOOK)); // the latter: intercept
    next.put(State.ORIGIN_CONNECT, EnumSet.of(State.ORIGIN_CONNECT, State.SEND_REQUEST_HOOK, State.WAIT_RESPONSE));
    next.put(State.SEND_REQUEST_HOOK, EnumSet.of(State.WAIT_RESPONSE));
    next.put(State.WAIT_RESPONSE, EnumSet.of(State.ORIGIN_CONNECT, State.READ_RESPONSE_HOOK));
    next.put(State.READ_RESPONSE_HOOK, EnumSet.of(State.CLIENT_RESPONSE));
    next.put(State.CLIENT_RESPONSE, EnumSet.of(State.SEND_RESPONSE_HOOK));
    next.put(State.SEND_RESPONSE_HOOK, EnumSet.of(State.RESPONSE_BODY, State.ERROR_RESPONSE, State.BLIND_TUNNEL));
    next.put(State.RESPONSE_BODY, EnumSet.of(State.SENDING_LAST));
    next.put(State.ERROR_RESPONSE, EnumSet.of(State.SENDING_LAST));
    next.put(State.SENDING_LAST, EnumSet.noneOf(State.class));
    next.put(State.TUNNEL_CONNECT, EnumSet.noneOf(State.class));
    next.put(State.BLIND_TUNNEL, EnumSet.noneOf(State.class));
    next.put(State.TXN_CLOSE_HOOK, EnumSet.of(State.DONE));
    next.put(State.DONE, EnumSet.noneOf(State.class));
    for (State s : State.values()) {
      if (s != State.TXN_CLOSE_HOOK && s != State.DONE) {
        // From anywhere before the end: an error response (answered, or turned into an abort once a response
        // started), and the end itself (an abort, a client that went away, a finished response or tunnel).
        next.get(s).add(State.SEND_RESPONSE_HOOK);
        next.get(s).add(State.TXN_CLOSE_HOOK);
      }
    }
    return next;
  }

  private static long[] transitionBits() {
    State[] states = State.values();
    if (states.length > Long.SIZE) {
      throw new ExceptionInInitializerError("more states than bits in a long: " + states.length);
    }
    long[] bits = new long[states.length];
    for (State from : states) {
      for (State to : NEXT.get(from)) {
        bits[from.ordinal()] |= 1L << to.ordinal();
      }
    }
    return bits;
  }

  /**
   * A hook continuation of transaction {@code txnId} reenabled it (the data of a resume event that went through the
   * loop's queue): dropped if that transaction ended meanwhile, never applied to the session's next one.
   */
  private record Resume(long txnId) {}

  /** The blind tunnel ended (reported from the tunnel's lock, handled under the session's). */
  private record TunnelEnded(BlindTunnel.Result result) {}

  /** A CONNECT target in authority form. */
  private record Authority(String host, int port) {}

  final HttpProxy proxy;
  /** The proxy's configuration when the transaction started (a session's next transaction takes the latest). */
  HttpProxyConfig config;
  final ClientSide client;
  /** The transaction's data; reset for each transaction of the session ({@link #reuse}). */
  final HttpTransaction t;
  private final HttpTunnel tunnel;
  private long bodyLimit;
  private final Continuation originCont;
  private final Continuation controlCont;

  private State state = State.NEW;
  /** CONNECT: the client names the target itself, and the request ends in a blind tunnel. */
  private boolean connectMethod;
  /** The request target for the origin that remap chose (origin form). */
  private String originTarget;
  /** The origin pool key of the remap rule's single origin, made with the configuration; null otherwise. */
  private String originKey;
  /** The next {@link State#ORIGIN_CONNECT} must not take a pooled connection (a retry after a stale one). */
  private boolean freshOriginOnly;
  /** The upstream group the remap rule named, which picks the origin of each attempt; null for a single origin. */
  private UpstreamChoice upstream;
  /** The body of the error response that {@link State#ERROR_RESPONSE} writes. */
  private byte[] errorBody;
  /**
   * The hook state whose chain runs, for {@link #hooksDone}: one chain at a time (the hook chain keeps only the
   * latest chain's continuation), so one field and one runnable serve every hook point instead of a lambda each.
   */
  private State chainState;
  private final Runnable hooksDone = this::hooksDone;
  /** The request body's sink, reused for each transaction and retry ({@link #requestSink}). */
  private BodySink requestSinkKept;

  /** A machine for the next transaction of {@code client}; it does nothing before {@link #start} or {@link #reject}. */
  HttpSM(HttpProxy proxy, ClientSide client) {
    this.proxy = proxy;
    this.config = proxy.config();
    this.client = client;
    this.bodyLimit = bodyLimit(config);
    this.originCont = new Continuation(this::onOriginEvent, client.lock());
    this.controlCont = new Continuation(this::onControlEvent, client.lock());
    this.t = new HttpTransaction(this, proxy.nextTransactionId(), client.eventLoop().nanoTime());
    this.tunnel = new HttpTunnel(t, client, config, this, bodyLimit);
  }

  private static long bodyLimit(HttpProxyConfig config) {
    return 2L * (128L << config.bufferIndex());
  }

  /**
   * Whether this machine may run the session's next transaction ({@link #reuse}): its transaction ended, TXN_CLOSE
   * hooks and all, and it was logged.
   */
  boolean reusable() {
    return state == State.DONE && t.ended();
  }

  /**
   * Makes this machine run the session's next transaction, as a new machine would (docs/http.md, "Object
   * lifetimes"): its continuations, tunnel, hook chain and transaction data are reused, everything they held for the
   * previous transaction is forgotten, and plugins get a new {@link HttpTxn} handle; the previous one stays refused.
   * Events still addressed to the previous transaction are recognised and dropped: a hook resume by its transaction
   * id, the origin's by VIO identity, a connect result by its attempt, the transforms' by VIO identity.
   *
   * @return this machine, in {@link State#NEW}
   * @throws IllegalStateException unless {@link #reusable()}
   */
  HttpSM reuse() {
    if (!reusable()) {
      throw new IllegalStateException("transaction " + t.id + " is in " + state + ": its machine cannot be reused yet");
    }
    config = proxy.config();
    bodyLimit = bodyLimit(config);
    t.reset(proxy.nextTransactionId(), client.eventLoop().nanoTime());
    tunnel.reset(config, bodyLimit);
    state = State.NEW;
    connectMethod = false;
    originTarget = null;
    originKey = null;
    freshOriginOnly = false;
    upstream = null;
    errorBody = null;
    chainState = null;
    return this;
  }

  /**
   * Starts a transaction for a request head the client side read.
   *
   * @param headBytes the head's size on the wire
   * @param keepAlive whether the client side may serve another request after this one
   */
  void start(HttpRequestHead head, long headBytes, boolean keepAlive) {
    t.clientRequest = head;
    t.bytesIn = headBytes;
    t.clientKeepAlive = keepAlive;
    stateNew();
  }

  /** Starts a transaction that only answers {@code status}: the client side could not read a request head. */
  void reject(int status, String reason, long bytesIn) {
    t.failure = reason;
    t.bytesIn = bytesIn;
    sendError(status, reason);
  }

  State state() {
    return state;
  }

  /** The states {@code from} may go to (docs/http.md, "Code layout"). */
  static Set<State> allowedFrom(State from) {
    Set<State> next = EnumSet.noneOf(State.class);
    next.addAll(NEXT.get(from));
    return next;
  }

  /**
   * Moves to {@code to} and runs its handler.
   *
   * @throws IllegalStateException if the table does not allow going from the current state to {@code to}
   */
  void transition(State to) {
    if ((NEXT_BITS[state.ordinal()] & 1L << to.ordinal()) == 0) {
      throw new IllegalStateException("transaction " + t.id + ": illegal transition from " + state + " to " + to);
    }
    state = to;
    switch (to) {
      case READ_REQUEST_HOOK, PRE_REMAP_HOOK, POST_REMAP_HOOK, SEND_REQUEST_HOOK, READ_RESPONSE_HOOK,
          SEND_RESPONSE_HOOK, TXN_CLOSE_HOOK -> stateHook(to);
      case REMAP -> stateRemap();
      case ORIGIN_REQUEST -> stateOriginRequest();
      case ORIGIN_CONNECT -> stateOriginConnect();
      case WAIT_RESPONSE -> stateWaitResponse();
      case CLIENT_RESPONSE -> stateClientResponse();
      case RESPONSE_BODY -> stateResponseBody();
      case ERROR_RESPONSE -> stateErrorResponse();
      case SENDING_LAST -> stateSendingLast();
      case TUNNEL_CONNECT -> stateTunnelConnect();
      case BLIND_TUNNEL -> stateBlindTunnel();
      case DONE -> stateDone();
      case NEW -> { }
    }
  }

  // ------------------------------------------------------------------------------------------------ states

  private void stateNew() {
    HttpRequestHead head = t.clientRequest;
    HttpHeaders h = head.headers();
    try {
      t.requestBody = BodyDecoder.forRequest(h, config.limits());
    } catch (BadMessageException e) {
      t.failure = e.getMessage(); // not reached for a parsed head: the parser already answered bad lengths
      sendError(e.status(), t.failure);
      return;
    }
    if (t.requestBody.isDone()) {
      t.requestBodyDone = true;
    }
    String expect = h.get("Expect");
    if (expect != null) {
      if (!expect.trim().equalsIgnoreCase("100-continue")) {
        t.failure = "unsupported expectation";
        sendError(417, t.failure);
        return;
      }
      t.expectContinue = head.version() == HttpVersion.HTTP_1_1 && !t.requestBodyDone;
    }
    if (head.method().equals("CONNECT")) {
      // docs/http.md, Tunnels: the target must be in authority form and its port in the allow-list, then the
      // READ_REQUEST_HDR and PRE_REMAP hooks run (a target they set meets the same rules), then the POST_REMAP hooks,
      // then the target is connected (never from the pool, never pooled). Remap rules do not apply: the client names
      // the target itself.
      connectMethod = true;
      t.requestBodyDone = true; // what follows the head belongs to the tunnel, not to HTTP
      t.clientKeepAlive = false; // no keep-alive after a tunnel, nor after a refused one: what follows is not HTTP
      if (!connectTargetRefused()) {
        transition(State.READ_REQUEST_HOOK);
      }
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
      sendError(e.status(), t.failure);
      return;
    }
    transition(State.READ_REQUEST_HOOK);
  }

  /** Every hook state: its hook chain runs, then the machine goes on ({@link #afterHooks}). */
  private void stateHook(State hookState) {
    chainState = hookState;
    t.hooks.run(hookState.hook, hooksDone);
  }

  /** A hook chain ran to its end: go on from the hook state that started it. */
  private void hooksDone() {
    // A chain that an error response or an abort overtook (it moved the machine on) has nowhere to go.
    if (state == chainState) {
      transition(afterHooks(chainState));
    }
  }

  /** Where a hook state goes once its chain is done. */
  private State afterHooks(State hookState) {
    return switch (hookState) {
      case READ_REQUEST_HOOK -> State.PRE_REMAP_HOOK;
      case PRE_REMAP_HOOK -> State.REMAP;
      case POST_REMAP_HOOK -> connectMethod ? State.TUNNEL_CONNECT : State.ORIGIN_REQUEST;
      case SEND_REQUEST_HOOK -> State.WAIT_RESPONSE;
      case READ_RESPONSE_HOOK -> State.CLIENT_RESPONSE;
      case SEND_RESPONSE_HOOK -> t.errorSent ? State.ERROR_RESPONSE
          : t.tunnelOrigin != null || t.clientResponse.status() == 101 ? State.BLIND_TUNNEL : State.RESPONSE_BODY;
      case TXN_CLOSE_HOOK -> State.DONE;
      default -> throw new IllegalStateException(hookState + " is not a hook state");
    };
  }

  /** Chooses where the request goes: the CONNECT target, an intercept, or the origin of the first matching rule. */
  private void stateRemap() {
    if (connectMethod) {
      if (connectTargetRefused()) {
        return; // a READ_REQUEST_HDR or PRE_REMAP hook may have set another target: it meets the same rules
      }
      t.origin = t.clientRequest.target();
      if (config.originConnector() == null) {
        t.failure = "no origin connector configured";
        sendError(502, t.failure);
        return;
      }
      transition(State.POST_REMAP_HOOK);
      return;
    }
    if (t.interceptServer != null) {
      t.origin = "intercept";
      transition(State.POST_REMAP_HOOK);
      return;
    }
    HttpRequestHead req = t.clientRequest;
    String target = req.target();
    if (target != t.normalizedTarget) { // a READ_REQUEST_HDR or PRE_REMAP hook set a new target: normalise it too
      try {
        target = RequestPaths.normalizeTarget(target);
      } catch (BadMessageException e) {
        t.failure = e.getMessage();
        sendError(e.status(), t.failure);
        return;
      }
    }
    // The request host is the region [hostStart, hostEnd) of hostText: the target's authority or Host, trimmed and
    // without port, compared ignoring case; cut out as a String only for a non-ASCII host (lower-cased as before).
    // An all-ASCII Host field is compared where it lies (hostFields), without a String.
    String hostText = null;
    int hostStart = 0;
    int hostEnd = 0;
    HttpHeaders hostFields = null;
    String path = target;
    if (target.regionMatches(true, 0, "http://", 0, 7)) {
      int slash = target.indexOf('/', 7);
      hostText = target;
      hostStart = 7;
      hostEnd = slash < 0 ? target.length() : slash;
      path = slash < 0 ? "/" : target.substring(slash);
    } else if (req.headers().hostReadableInPlace()) {
      hostFields = req.headers();
    } else {
      hostText = req.headers().get(HttpHeaders.HOST);
      hostEnd = hostText == null ? 0 : hostText.length();
    }
    if (hostText != null) {
      while (hostStart < hostEnd && hostText.charAt(hostStart) <= ' ') { // as String.trim
        hostStart++;
      }
      while (hostEnd > hostStart && hostText.charAt(hostEnd - 1) <= ' ') {
        hostEnd--;
      }
      hostEnd = hostStart + portStart(hostText, hostStart, hostEnd);
      if (!isAscii(hostText, hostStart, hostEnd)) {
        hostText = hostText.substring(hostStart, hostEnd).toLowerCase(Locale.ROOT);
        hostStart = 0;
        hostEnd = hostText.length();
      }
    }
    List<RemapRule> rules = config.remapRules();
    for (int i = 0, n = rules.size(); i < n; i++) { // by index: no iterator per request
      RemapRule rule = rules.get(i);
      String mapped = hostFields != null ? rule.mapPath(hostFields, path)
          : rule.mapPath(hostText, hostStart, hostEnd, path);
      if (mapped != null) {
        HttpProxy.RemapTargets targets = proxy.remapTargets(config);
        t.origin = targets.authority(i);
        originKey = targets.poolKey(i);
        if (rule.upstream() != null) {
          upstream = new UpstreamChoice(config.upstreamGroup(rule.upstream()));
          t.origin = "upstream://" + rule.upstream(); // until an attempt chose a member
        }
        t.originHost = rule.originHost();
        t.originPort = rule.originPort();
        t.originTls = rule.originTls();
        if (config.originConnector() == null) {
          t.failure = "no origin connector configured";
          sendError(502, t.failure);
          return;
        }
        originTarget = mapped;
        transition(State.POST_REMAP_HOOK);
        return;
      }
    }
    t.failure = "no remap rule matches " + (hostFields != null ? hostFields.hostLowerCase()
        : hostText == null ? "" : hostText.substring(hostStart, hostEnd).toLowerCase(Locale.ROOT)) + path;
    sendError(404, "no remap rule matches this request");
  }

  /** After the POST_REMAP hooks: the request for the origin (with the fields they changed), then its connection. */
  private void stateOriginRequest() {
    if (t.interceptServer != null) {
      startIntercept();
      return;
    }
    HttpRequestHead req = t.clientRequest;
    HttpHeaders headers = proxy.headerRules().forwardedRequest(req.headers(), req.version());
    ForwardingPolicy forwarding = config.forwarding();
    // Only a policy that writes the client's host looks it up: the default one never does, and the lookup makes a
    // Host field and its String per request.
    boolean hostUsed = forwarding.preserveHost() || forwarding.forwardedHost() != ForwardingPolicy.Mode.OFF
        || forwarding.forwarded() != ForwardingPolicy.Mode.OFF;
    String requestedHost = hostUsed ? requestedHost(req) : null;
    ProxyHeaderRules.addForwarding(headers, forwarding, client.clientNodeAddress(), client.clientTls().isPresent(),
        requestedHost);
    // The client's Host when the policy keeps it (an absolute-form target's authority wins over Host, RFC 9112
    // §3.2.2); otherwise, and when the client named no host, the origin's.
    headers.set(HttpHeaders.HOST, forwarding.preserveHost() && requestedHost != null ? requestedHost
        : t.originPort == (t.originTls ? 443 : 80) ? t.originHost : t.origin);
    t.serverRequest = new HttpRequestHead(req.method(), originTarget, HttpVersion.HTTP_1_1, headers);
    transition(State.ORIGIN_CONNECT);
  }

  /**
   * The host a request asked for, as received: the authority of an {@code http://} absolute-form target, else its
   * {@code Host}; null when it names none.
   */
  static String requestedHost(HttpRequestHead req) {
    String target = req.target();
    if (target.regionMatches(true, 0, "http://", 0, 7)) {
      int end = 7;
      while (end < target.length() && "/?#".indexOf(target.charAt(end)) < 0) {
        end++;
      }
      return end == 7 ? null : target.substring(7, end);
    }
    String host = req.headers().get(HttpHeaders.HOST);
    return host == null || host.isEmpty() ? null : host;
  }

  private void startIntercept() {
    t.origin = "intercept";
    String tag = client.pluginTag();
    InterceptSlot spare = client.interceptSlot();
    VConnPair pair = spare != null
        ? VConnPair.open(client.eventLoop(),
            spare.pairOptions(tag == null ? "intercept" : tag, config.bufferIndex(), client.clientAddress()), t.id)
        : VConnPair.open(client.eventLoop(), new VConnPair.Options(tag == null ? "intercept" : tag, t.id,
            config.bufferIndex(), 0, client.clientAddress()));
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
    long headLimit = config.limits().maxHeaderBytes() + 1L;
    OriginConnection conn = spare != null && spare.lend()
        ? new OriginConnection(pair.active(), "intercept", spare, headLimit)
        : new OriginConnection(pair.active(), "intercept", config.blockPool(), config.bufferIndex(), headLimit, false);
    ContinuationScheduler.dispatch(client.eventLoop(), t.interceptServer, Event.NET_ACCEPT, pair.passive());
    originReady(conn);
  }

  /** Gets a connection: a sound pooled one (unless a retry forbids it), else a new one from the connector. */
  private void stateOriginConnect() {
    if (upstream != null && !chooseMember()) {
      return;
    }
    boolean mayReuse = !freshOriginOnly;
    freshOriginOnly = false;
    String key = originKey != null ? originKey
        : !t.originTls && isAuthority(t.origin, t.originHost, t.originPort) ? t.origin
        : (t.originTls ? "https://" : "") + t.originHost + ":" + t.originPort;
    OriginConnection pooled = mayReuse ? proxy.originPool().take(key, client.eventLoop(), originOwner()) : null;
    if (pooled != null) {
      t.originReused = true;
      proxy.stats.originReuses.increment();
      originReady(pooled);
      return;
    }
    t.originReused = false;
    if (!proxy.originPool().reserve(key)) {
      t.failure = "origin " + key + " is at its connection limit";
      sendError(503, t.failure);
      return;
    }
    connect(new ConnectAttempt(t, key), t.originHost, t.originPort, t.originTls);
  }

  /**
   * Who may use the origin connections of this transaction: with the PROXY protocol towards origins on, the header
   * they announce (as ISO-8859-1 text), so a connection is reused only by a client connection that would announce
   * the very same client (the same address and port, and the same proxy address); null (anybody) when it is off.
   */
  private String originOwner() {
    OriginProxyProtocol version = config.originProxyProtocol();
    if (version == OriginProxyProtocol.OFF) {
      return null;
    }
    return new String(version.header(client.clientAddress(), client.localAddress()), StandardCharsets.ISO_8859_1);
  }

  /** Upstream groups: the member this attempt goes to becomes the origin; false if it answered 503 for none. */
  private boolean chooseMember() {
    UpstreamGroup.Origin member = upstream.next();
    if (member == null) {
      t.failure = "upstream " + upstream.group.name() + " has no available member";
      sendError(503, t.failure);
      return false;
    }
    t.origin = member.authority();
    t.originHost = member.host();
    t.originPort = member.port();
    t.originTls = member.tls();
    return true;
  }

  /** Starts {@code attempt}; the connector's event comes back through the control continuation. */
  private void connect(ConnectAttempt attempt, String host, int port, boolean tls) {
    t.attempts++;
    t.connectAttempt = attempt;
    // The connector's events carry the VConn or the error; route them through the control continuation so the
    // attempt they belong to is known.
    Continuation onConnect = new Continuation((event, data) -> {
      attempt.result = data;
      onControlEvent(event, attempt);
    }, client.lock());
    t.connectAction = config.originConnector().connect(onConnect, host, port, tls, config.timeouts().connect());
  }

  private void connectDone(ConnectAttempt attempt, Event event) {
    Object result = attempt.result;
    if (t.connectAttempt != attempt || (state != State.ORIGIN_CONNECT && state != State.TUNNEL_CONNECT)) {
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
    if (state == State.TUNNEL_CONNECT) {
      tunnelConnectDone(attempt, event);
      return;
    }
    if (event == Event.NET_CONNECT && result instanceof VConn vconn) {
      proxy.stats.originConnects.increment();
      String owner = originOwner(); // the header it announces, sent first
      originReady(new OriginConnection(vconn, attempt.key, config.blockPool(), config.bufferIndex(),
          config.limits().maxHeaderBytes() + 1L, true, owner,
          owner == null ? null : owner.getBytes(StandardCharsets.ISO_8859_1)));
      return;
    }
    proxy.originPool().unreserve(attempt.key);
    proxy.stats.originConnectFailures.increment();
    VConnError error = result instanceof VConnError e ? e : null;
    boolean timedOut = error != null && error.errno() == Errno.ETIMEDOUT;
    String reason = "connecting to origin " + attempt.key + " failed: " + describe(error);
    if (upstream != null) {
      upstream.failed(reason);
    }
    if (canRetry()) {
      retry();
    } else {
      proxy.stats.originResponseFailures.increment();
      t.failure = reason;
      sendError(timedOut ? 504 : 502, reason);
    }
  }

  private void originReady(OriginConnection conn) {
    t.originConn = conn;
    conn.readBuffer.setWaterMark(config.limits().maxHeaderBytes() + 1L); // room for a response head
    t.originEos = false;
    t.originWriteFailed = false;
    t.originRead = conn.vconn.read(originCont, Long.MAX_VALUE, conn.readBuffer);
    conn.watchInactivity(config.timeouts().inactivity(), originCont);
    if (t.requestBuffer != null) {
      transition(State.WAIT_RESPONSE); // a retry: the request is still whole in its buffer
    } else {
      transition(State.SEND_REQUEST_HOOK);
    }
  }

  /** Sends the request (again, on a retry) and waits for the response head. */
  private void stateWaitResponse() {
    if (t.requestBuffer == null) {
      t.requestBuffer = new IOBuffer(config.blockPool(), config.bufferIndex());
      t.requestReader = t.requestBuffer.allocReader();
      byte[] preamble = t.originConn.preamble;
      if (preamble != null) { // a new connection: its PROXY protocol header goes out with the request, in one write
        t.originConn.preamble = null;
        t.requestBuffer.write(preamble);
        t.preambleBytes = preamble.length;
      }
      if (t.originReused) {
        t.replayReader = t.requestBuffer.allocReader(); // the request may have to go again on a new connection
      }
      t.requestHasBody = !t.requestBodyDone;
      t.requestHeadBytes = t.serverRequest.writeTo(t.requestBuffer);
      t.requestSink = requestSink(t.requestBuffer, t.requestReader);
      if (t.expectContinue && client.requestBytes().readAvail() == 0) {
        client.sendContinue();
      }
    } else {
      placePreamble();
      if (t.originReused && t.replayReader == null && !t.reuseRetried) {
        t.replayReader = t.requestReader.cloneReader(); // a retry after a failed connect: nothing of it went out yet
      }
    }
    t.originWrite = t.originConn.vconn.write(originCont, requestWriteBytes(), t.requestReader);
    if (t.requestBodyDone) {
      armResponseTimer();
    } else {
      client.watchClient(true); // a client that stalls its upload
    }
    tunnel.pumpRequestBody();
    originReadable(); // an intercept or a fast origin may have answered already
  }

  /**
   * How many bytes the request write carries. To an intercept: exactly the request as its framing says, the head and
   * a Content-Length body, so the write completes in the pass that sends its last byte and the intercept's close
   * after its response is no ERROR to it (docs/http.md, Server intercept); a chunked body's end is known only when it
   * comes, so that write is unbounded. To an origin it is unbounded (a retry replays onto a new write).
   */
  private long requestWriteBytes() {
    if (t.interceptServer == null) {
      return Long.MAX_VALUE;
    }
    long body = t.requestBodyDone ? 0 : t.requestBody.fixedLength();
    return body < 0 ? Long.MAX_VALUE : t.requestReader.readAvail() + body;
  }

  /**
   * The sink of the request body towards the origin: the machine's one sink, made anew for {@code buffer}; a sink it
   * replaces (a retry's) is not used any more.
   */
  private BodySink requestSink(IOBuffer buffer, IOBufferReader reader) {
    boolean chunked = t.requestBody.isChunkedFraming(); // read from the head once, by BodyDecoder.forRequest
    if (requestSinkKept == null) {
      requestSinkKept = new BodySink(buffer, reader, bodyLimit, chunked);
    } else {
      requestSinkKept.reset(buffer, reader, bodyLimit, chunked);
    }
    return requestSinkKept;
  }

  /**
   * A retry: puts a PROXY protocol header in front of the request to send exactly when this connection is new and
   * has not sent one. The header a previous connection was to send (nothing of the request went out, or there would
   * be no retry) is the same client's: it goes to a new connection, and is dropped for a pooled one. A request kept
   * without one (the previous connection was pooled) moves to a new buffer behind the header.
   */
  private void placePreamble() {
    byte[] preamble = t.originConn.preamble;
    t.originConn.preamble = null;
    if (preamble == null) {
      if (t.preambleBytes > 0) {
        t.requestReader.consume(t.preambleBytes);
        t.preambleBytes = 0;
      }
      return;
    }
    if (t.preambleBytes > 0) {
      return;
    }
    IOBuffer moved = new IOBuffer(config.blockPool(), config.bufferIndex());
    IOBufferReader reader = moved.allocReader();
    moved.write(preamble);
    byte[] kept = new byte[(int) Math.min(Integer.MAX_VALUE, t.requestReader.readAvail())];
    t.requestReader.copyTo(kept, 0, kept.length, 0);
    moved.write(kept);
    t.dropReplay();
    t.requestReader.free();
    t.requestBuffer.close();
    t.requestBuffer = moved;
    t.requestReader = reader;
    t.requestSink = requestSink(moved, reader);
    t.preambleBytes = preamble.length;
  }

  private void stateClientResponse() {
    HttpResponseHead server = t.serverResponse;
    if (server.status() == 101) { // an accepted upgrade: no body, the connection carries the new protocol next
      t.clientResponse = new HttpResponseHead(HttpVersion.HTTP_1_1, server.status(), server.reason(),
          proxy.headerRules().switchingProtocolsResponse(server));
      transition(State.SEND_RESPONSE_HOOK);
      return;
    }
    t.transformed = t.hasResponseBody && !t.transformsSnapshot().isEmpty();
    ProxyHeaderRules.ClientResponseFields fields = proxy.headerRules().clientResponse(server,
        t.clientRequest.version(), t.hasResponseBody, t.transformed, t.clientKeepAlive && !client.isDraining());
    t.clientKeepAlive = fields.keepAlive();
    t.clientResponse = new HttpResponseHead(HttpVersion.HTTP_1_1, server.status(), server.reason(), fields.headers());
    transition(State.SEND_RESPONSE_HOOK);
  }

  private void stateResponseBody() {
    HttpResponseHead head = t.clientResponse;
    t.status = head.status();
    BodySink sink = client.sendResponseHead(head, bodyLimit);
    // The transforms' continuation is made only for a transaction that has transforms (most have none).
    tunnel.startResponse(sink, t.transformed,
        t.transformed ? new Continuation(this::onTransformEvent, client.lock()) : null);
    if (t.hasResponseBody) {
      client.watchClient(true); // a client that stops reading the body
    }
    tunnel.pumpResponse(); // a response without a body ends at once
  }

  private void stateErrorResponse() {
    client.sendResponse(t.clientResponse, errorBody);
    t.responseDone = true;
    transition(State.SENDING_LAST);
  }

  private void stateSendingLast() {
    client.endResponse(); // the client side calls responseSent() once it is all out
  }

  /** After the POST_REMAP hooks of a CONNECT: connects its target (never from the pool, never pooled). */
  private void stateTunnelConnect() {
    Authority authority = connectAuthority(t.origin);
    ConnectAttempt attempt = new ConnectAttempt(t, t.origin);
    attempt.reserved = false;
    connect(attempt, authority.host(), authority.port(), false);
  }

  private void tunnelConnectDone(ConnectAttempt attempt, Event event) {
    if (event == Event.NET_CONNECT && attempt.result instanceof VConn vconn) {
      t.tunnelOrigin = vconn;
      t.clientResponse = new HttpResponseHead(HttpVersion.HTTP_1_1, 200, "Connection Established",
          new HttpHeaders().add("Date", imfFixdate()));
      transition(State.SEND_RESPONSE_HOOK);
      return;
    }
    VConnError error = attempt.result instanceof VConnError e ? e : null;
    t.failure = "connecting to CONNECT target " + attempt.key + " failed: " + describe(error);
    sendError(error != null && error.errno() == Errno.ETIMEDOUT ? 504 : 502, t.failure);
  }

  /**
   * The response head {@code t.clientResponse} goes to the client, then client and the other side are spliced until
   * both ends are done: a CONNECT's 200 and its target, or an accepted 101 and its origin, whose bytes after the 101
   * head (the new protocol's first bytes) follow the head (docs/http.md, Tunnels).
   */
  private void stateBlindTunnel() {
    t.status = t.clientResponse.status();
    boolean upgrade = t.tunnelOrigin == null;
    VConn target = upgrade ? t.originConn.vconn : t.tunnelOrigin;
    ClientSide.TunnelEnd clientEnd = client.handOverForTunnel(t.clientResponse);
    (upgrade ? proxy.stats.upgradeTunnels : proxy.stats.connectTunnels).increment();
    proxy.stats.openTunnels.increment();
    tunnel.startBlind(clientEnd, target, upgrade ? t.originConn.reader : null,
        result -> ContinuationScheduler.dispatch(client.eventLoop(), controlCont, Event.IMMEDIATE,
            new TunnelEnded(result)));
  }

  private void tunnelEnded(BlindTunnel.Result result) {
    proxy.stats.openTunnels.decrement();
    t.bytesIn += result.bytesAToB();
    t.tunnelBytesOut = result.bytesBToA();
    t.responseDone = true;
    if (result.end() != BlindTunnel.End.COMPLETED && t.failure == null) {
      t.failure = "tunnel ended: " + result.end();
    }
    closeOrigin(); // an upgraded origin connection: the tunnel closed it, this frees its buffer and pool count
    transition(State.TXN_CLOSE_HOOK);
  }

  /** The origin's response head arrived: its time and, for an https origin, its TLS facts, for the access log. */
  /** The origin's response head arrived: its moment for the log and the histogram, and its TLS facts. */
  private void originAnswered() {
    t.originAnswered = true;
    t.originResponseNanos = client.eventLoop().nanoTime();
    if (t.interceptServer == null) {
      proxy.stats.originFirstByte.record(t.originResponseNanos - t.startNanos);
    }
    if (t.originConn != null && t.originConn.vconn instanceof TlsVConn tls) {
      t.originTlsSession = tls.sessionInfo().orElse(null);
    }
  }

  /** Logs and counts the transaction, then gives the client side back. */
  private void stateDone() {
    t.end(); // its TXN_CLOSE hooks returned: the handle plugins hold is refused from now on
    cancelResponseTimer();
    if (upstream != null) {
      upstream.release();
    }
    long out = client.responseBytesSent() + t.tunnelBytesOut;
    if (t.requestBuffer != null) {
      t.requestBuffer.close();
      t.requestBuffer = null;
    }
    proxy.stats.transactions.increment();
    if (client.isInternal()) {
      proxy.stats.inProcessTransactions.increment();
    }
    proxy.stats.bytesIn.add(t.bytesIn);
    proxy.stats.bytesOut.add(out);
    proxy.stats.transactionEnded(client.isInternal(), t.status, client.pluginTag());
    HttpRequestHead req = t.clientRequest;
    long nanos = client.eventLoop().nanoTime() - t.startNanos;
    proxy.stats.transactionDuration.record(nanos);
    AccessLog accessLog = config.accessLog();
    if (accessLog.enabled()) {
      logTransaction(accessLog, req, nanos, out);
    }
    client.transactionDone(t.clientKeepAlive);
  }

  /** Builds the transaction's access log record (only for a log that uses it) and logs it. */
  private void logTransaction(AccessLog accessLog, HttpRequestHead req, long nanos, long out) {
    long millis = TimeUnit.NANOSECONDS.toMillis(nanos);
    long originMillis = !t.originAnswered ? -1
        : TimeUnit.NANOSECONDS.toMillis(t.originResponseNanos - t.startNanos);
    AccessLogRecord record = new AccessLogRecord(client.clientAddress(), req == null ? "-" : req.method(),
        req == null ? "-" : req.target(), t.status, t.bytesIn, out, millis, t.origin, client.pluginTag(),
        client.pluginId(), client.isInternal(), t.clientTls().orElse(null), t.originTlsSession,
        req == null ? "-" : req.version().text(), req == null ? null : req.headers().get("User-Agent"),
        req == null ? null : req.headers().get("Referer"), Instant.now().minusMillis(millis), originMillis);
    try {
      accessLog.log(record);
    } catch (RuntimeException e) {
      LOG.warn("access log failed", e);
    }
  }

  // ------------------------------------------------------------------------------------------------ CONNECT target

  /** Answers 400 or 403 and returns true if the CONNECT target may not be reached. */
  private boolean connectTargetRefused() {
    String target = t.clientRequest.target();
    Authority authority = connectAuthority(target);
    if (authority == null) {
      t.failure = "CONNECT target must be host:port (authority form), was '" + target + "'";
      sendError(400, t.failure);
      return true;
    }
    if (!config.connectPorts().contains(authority.port())) {
      t.failure = "CONNECT to port " + authority.port() + " is not allowed (connect ports: "
          + config.connectPorts() + ")";
      proxy.stats.deniedConnections.increment();
      sendError(403, t.failure);
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

  /**
   * The length of the host in the authority {@code [start, end)} of {@code text}: up to a {@code :port}, or up to
   * and including the {@code ]} of a bracketed IPv6 literal.
   */
  private static int portStart(String text, int start, int end) {
    if (start < end && text.charAt(start) == '[') {
      int close = text.indexOf(']', start);
      return close < 0 || close >= end ? end - start : close + 1 - start;
    }
    int colon = text.indexOf(':', start);
    return colon < 0 || colon >= end ? end - start : colon - start;
  }

  /** Whether {@code text} is {@code host + ":" + port} (the pool key of a plain-HTTP origin), checked in place. */
  static boolean isAuthority(String text, String host, int port) {
    int colon = host.length();
    if (text == null || text.length() <= colon + 1 || !text.startsWith(host) || text.charAt(colon) != ':') {
      return false;
    }
    int value = 0;
    for (int i = colon + 1; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9' || value > 65535) {
        return false;
      }
      value = value * 10 + (c - '0');
    }
    return value == port && text.charAt(colon + 1) != '0';
  }

  private static boolean isAscii(String text, int start, int end) {
    for (int i = start; i < end; i++) {
      if (text.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  // ------------------------------------------------------------------------------------------------ retries

  /**
   * Whether a request that failed on a connection taken from the pool goes again, once, on a new connection. The
   * origin most likely closed the idle connection while our request crossed its FIN, which the pool cannot see
   * before a read (docs/http.md, Origins). Only before any response byte arrived, only if the proxy still holds the
   * request's bytes, and only if a second copy cannot repeat a side effect: the method is idempotent, nothing was
   * sent, or the request has a body of which nothing was sent (the origin cannot have had the whole request).
   */
  private boolean canRetryOnNewConnection() {
    if (!t.originReused || t.reuseRetried || t.interceptServer != null || t.serverResponse != null
        || state != State.WAIT_RESPONSE || t.replayReader == null || t.errorSent) {
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
  private void retryOnNewConnection(String reason) {
    LOG.debug("{} failed on a reused origin connection ({}); sending it again on a new one", t, reason);
    proxy.stats.originRetries.increment();
    t.reuseRetried = true;
    closeOrigin();
    cancelResponseTimer(); // stateWaitResponse arms it again
    t.requestReader.free();
    t.requestReader = t.replayReader;
    t.replayReader = null;
    t.preambleBytes = 0; // a reused connection sent none; the replay starts at the request head
    // The new sink only bounds what is pending; if the body already ended, its end is in the buffer to replay.
    t.requestSink = requestSink(t.requestBuffer, t.requestReader);
    freshOriginOnly = true;
    transition(State.ORIGIN_CONNECT);
  }

  private boolean canRetry() {
    return IDEMPOTENT.contains(t.clientRequest.method()) && t.attempts <= config.maxRetries()
        && (t.originWrite == null || t.originWrite.ndone() == 0) && t.interceptServer == null;
  }

  private void retry() {
    LOG.debug("retrying {} on a new connection (attempt {})", t, t.attempts + 1);
    proxy.stats.originRetries.increment();
    if (t.originConn != null) {
      closeOrigin();
    }
    transition(State.ORIGIN_CONNECT);
  }

  private void originFailed(boolean timedOut, String reason) {
    if (!timedOut && canRetryOnNewConnection()) {
      retryOnNewConnection(reason);
      return;
    }
    if (upstream != null && t.serverResponse == null) {
      upstream.failed(reason); // the member failed this attempt (a stale pooled connection above is not its fault)
    }
    if (t.serverResponse == null && state == State.WAIT_RESPONSE && !timedOut && canRetry()) {
      retry();
      return;
    }
    if (t.interceptServer == null) {
      proxy.stats.originResponseFailures.increment();
    }
    if (t.status == 0) {
      t.failure = reason;
      sendError(timedOut ? 504 : 502, reason);
    } else {
      abort(reason);
    }
  }

  /**
   * The origin stopped taking the request (it closed or shut down its read side). That is not the end of the
   * transaction: an origin may answer early and close (a 413, or an intercept that answers without reading), so
   * the read side decides, unless nothing was sent yet and the request may be retried.
   */
  private void originWriteFailed() {
    t.originWriteFailed = true;
    if (canRetryOnNewConnection()) {
      retryOnNewConnection("origin stopped taking the request: " + describe(t.originConn.vconn.error()));
    } else if (t.serverResponse == null && state == State.WAIT_RESPONSE && canRetry()) {
      if (upstream != null) {
        upstream.failed("origin stopped taking the request");
      }
      retry();
    }
  }

  private void closeOrigin() {
    if (t.tunnelOrigin != null && !tunnel.isBlind()) {
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

  private void cancelConnect() {
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

  // ------------------------------------------------------------------------------------------------ response head

  private void originReadable() {
    switch (state) {
      case WAIT_RESPONSE -> readResponseHead();
      case RESPONSE_BODY, SENDING_LAST -> tunnel.pumpResponse();
      default -> { } // a hook is running: the bytes wait in the buffer (read-ahead stops at the limit)
    }
  }

  private void readResponseHead() {
    OriginConnection c = t.originConn;
    while (true) {
      HttpHeadParser.Result<HttpResponseHead> result = proxy.parser().parseResponse(c.reader);
      if (result instanceof HttpHeadParser.Rejected<HttpResponseHead> rejected) {
        originFailed(false, "bad response from origin: " + rejected.reason());
        return;
      }
      if (!(result instanceof HttpHeadParser.Parsed<HttpResponseHead> parsed)) {
        if (t.originEos) {
          originFailed(false, "origin closed the connection before it sent a response");
        } else {
          t.originRead.reenable();
        }
        return;
      }
      HttpResponseHead head = parsed.head();
      if (head.status() == 101) {
        if (!t.requestBodyDone || t.requestHasBody
            || !ProxyHeaderRules.switchAccepted(t.clientRequest, t.serverRequest, head)) {
          originFailed(false, "origin switched protocols the client did not ask for");
          return;
        }
        cancelResponseTimer();
        switchProtocols(head);
        return;
      }
      if (head.isInformational()) {
        // 100 Continue and other interim responses: the proxy answered the client's Expect itself. Capped, so an
        // origin that sends them without end cannot keep the proxy reading (and parsing) without end.
        t.interimResponses++;
        t.interimBytes += parsed.headBytes();
        HttpLimits limits = config.limits();
        if (t.interimResponses > limits.maxInterimResponses() || t.interimBytes > limits.maxHeaderBytes()) {
          originFailed(false, "origin sent more than " + limits.maxInterimResponses() + " interim responses or "
              + limits.maxHeaderBytes() + " bytes of them");
          return;
        }
        continue;
      }
      cancelResponseTimer();
      responseHead(head);
      return;
    }
  }

  private void responseHead(HttpResponseHead head) {
    t.serverResponse = head;
    originAnswered();
    if (upstream != null) {
      upstream.succeeded();
    }
    t.dropReplay(); // the response started: no retry any more
    // The head is read: the body needs only the block-sized read-ahead, not room for a whole head (saves up to
    // 32 KiB per slow client).
    t.originConn.readBuffer.setWaterMark(0);
    HttpHeaders h = head.headers();
    try {
      t.responseBody = BodyDecoder.forResponse(t.clientRequest.method(), head, config.limits());
    } catch (BadMessageException e) {
      originFailed(false, "bad Content-Length from origin");
      return;
    }
    t.hasResponseBody = !t.responseBody.isDone();
    t.originKeepAlive = !t.responseBody.isCloseDelimited() && (head.version() == HttpVersion.HTTP_1_1
        ? !h.connectionOptionIs("close") : h.connectionOptionIs("keep-alive"));
    transition(State.READ_RESPONSE_HOOK);
  }

  /**
   * An accepted {@code 101 Switching Protocols} (docs/http.md, Upgrades): the response hooks run as for any response,
   * then the 101 goes to the client and client and origin are spliced like a CONNECT tunnel. No transform applies
   * and the connections end with the tunnel.
   */
  private void switchProtocols(HttpResponseHead head) {
    t.serverResponse = head;
    originAnswered();
    if (upstream != null) {
      upstream.succeeded();
    }
    t.dropReplay();
    t.clientKeepAlive = false;
    transition(State.READ_RESPONSE_HOOK);
  }

  /** Records the time to the origin's response head (an intercept is not an origin). */
  // ---------------------------------------------------------------------------------------------- the tunnel's reports

  @Override
  public void requestBodyEnded() {
    client.watchClient(false);
    if (state == State.WAIT_RESPONSE) {
      armResponseTimer();
    }
  }

  @Override
  public void requestBodyBad(BadMessageException e) {
    t.failure = e.getMessage();
    sendError(e.status(), e.getMessage()); // 400, or 431 for a trailer section over the head limits
  }

  @Override
  public void requestBodyCutShort() {
    abort("client closed the connection in the middle of the request body");
  }

  @Override
  public void responseBodyEnded() {
    t.responseDone = true;
    transition(State.SENDING_LAST);
  }

  /**
   * The origin's body is malformed or ended before its framing said (a bad chunk size, a close in the middle). While
   * no byte of the response head has left the proxy (the head and the first body bytes are written in one go, so a
   * body that is bad from its first bytes is caught here), the head is taken back and the client gets 502.
   * Otherwise the client gets every byte the proxy already has, then a normal close without the end of the body (no
   * last chunk, or fewer bytes than its Content-Length), so it sees the truncation instead of a reset that would drop
   * what was queued.
   */
  @Override
  public void responseBodyBad(String reason) {
    t.failure = reason;
    tunnel.stopResponse();
    if (client.takeBackResponse()) {
      LOG.debug("taking back the response head for {}: {}", t, reason);
      t.status = 0;
      t.clientResponse = null;
      t.hooks.forgetHookPoint(); // SEND_RESPONSE_HDR hooks see the 502 that replaces the head they saw
      sendError(502, reason);
      return;
    }
    LOG.debug("truncating the response of {}: {}", t, reason);
    t.clientKeepAlive = false;
    t.responseDone = true;
    closeOrigin();
    transition(State.SENDING_LAST); // the client's WRITE_COMPLETE ends the transaction; the connection then closes
  }

  @Override
  public void transformFailed(String reason) {
    abort(reason);
  }

  // ------------------------------------------------------------------------------------------------ errors, ending

  /** Answers {@code status} with a small body the proxy makes itself, or aborts if a response already started. */
  private void sendError(int status, String reason) {
    if (t.status != 0 || t.errorSent) {
      abort(reason);
      return;
    }
    LOG.debug("answering {} to {}: {}", status, client.clientAddress(), reason);
    t.errorSent = true;
    t.clientKeepAlive = t.clientKeepAlive && errorKeepsConnection(status);
    cancelResponseTimer();
    cancelConnect();
    closeOrigin();
    tunnel.stopResponse();
    proxy.stats.errorResponses.increment();
    String phrase = HttpStatus.reason(status);
    byte[] body = (status + " " + phrase + "\n").getBytes(StandardCharsets.ISO_8859_1);
    HttpHeaders headers = new HttpHeaders()
        .add("Content-Type", "text/plain; charset=utf-8")
        .add(HttpHeaders.CONTENT_LENGTH, Integer.toString(body.length))
        .add("Date", imfFixdate());
    if (!t.clientKeepAlive) {
      headers.add(HttpHeaders.CONNECTION, "close");
    }
    proxy.headerRules().appendVia(headers, HttpVersion.HTTP_1_1);
    t.clientResponse = new HttpResponseHead(HttpVersion.HTTP_1_1, status, phrase, headers);
    t.status = status;
    boolean head = t.clientRequest != null && t.clientRequest.method().equals("HEAD");
    errorBody = head ? new byte[0] : body;
    if (t.hooks.hookPoint() == HttpHookId.SEND_RESPONSE_HDR) {
      transition(State.ERROR_RESPONSE); // the error came out of that very hook: do not run it again
    } else {
      // Like Traffic Server, plugins see the responses the proxy makes itself too (they may add fields).
      transition(State.SEND_RESPONSE_HOOK);
    }
  }

  /**
   * Whether the connection may serve another request after the proxy answered {@code status} itself (docs/http.md,
   * Bad input): only if the request was fully read and its framing was sound. Malformed input (400, 413, 431), a
   * timeout (408), a request body not read to its end, any CONNECT and any request that asked to upgrade close: what
   * follows the head of those two may be another protocol's bytes, not an HTTP request.
   */
  private boolean errorKeepsConnection(int status) {
    boolean malformedOrTimedOut = status == 400 || status == 408 || status == 413 || status == 431;
    if (t.clientRequest == null || connectMethod || !t.requestBodyDone || malformedOrTimedOut) {
      return false;
    }
    HttpHeaders h = t.clientRequest.headers();
    return h.get("Upgrade") == null && !h.connectionOptionIs("upgrade");
  }

  /** Now on the proxy's clock as an IMF-fixdate (RFC 9110, section 5.6.7), for the {@code Date} field. */
  private String imfFixdate() {
    return IMF_FIXDATE.format(config.clock().instant());
  }

  /** The transaction cannot finish normally: the client gets no (more) response and the connection closes. */
  private void abort(String reason) {
    if (t.failure == null) {
      t.failure = reason;
    }
    LOG.debug("aborting {} for {}: {}", t, client.clientAddress(), reason);
    t.clientKeepAlive = false;
    cancelResponseTimer();
    cancelConnect();
    closeOrigin();
    tunnel.stopResponse();
    client.abort();
    transition(State.TXN_CLOSE_HOOK);
  }

  /** The whole response went out: pool or close the origin connection, then TXN_CLOSE. */
  private void endTransaction() {
    // The origin connection can serve another request only if both messages ended cleanly on it.
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
        closeOrigin();
      }
    }
    tunnel.stopResponse();
    if (!t.requestBodyDone) {
      t.clientKeepAlive = false; // the rest of the request body is still in the way of the next request
    }
    transition(State.TXN_CLOSE_HOOK);
  }

  // -------------------------------------------------------------------------------------------- from the client side

  /** The client sent more bytes (or ended its stream) while this transaction runs. */
  void requestBytesArrived() {
    if (state != State.TXN_CLOSE_HOOK && state != State.DONE) {
      tunnel.pumpRequestBody(); // it notices a body cut short by the end of the stream
    }
  }

  /** The client took response bytes: room for more. */
  void clientWritable() {
    if (state == State.RESPONSE_BODY) {
      tunnel.pumpResponse();
    }
  }

  /** Everything {@link ClientSide#endResponse()} was asked to send went out. */
  void responseSent() {
    if (state == State.SENDING_LAST) {
      endTransaction();
    }
  }

  /** The client made no progress within the inactivity timeout (a hook's time does not count). */
  void clientStalled() {
    if (state.isHook()) {
      return;
    }
    if (t.status == 0 && !t.requestBodyDone) {
      t.failure = "client sent no request body bytes for " + config.timeouts().inactivity().toMillis() + " ms";
      sendError(408, t.failure);
    } else {
      abort("client inactive for " + config.timeouts().inactivity().toMillis() + " ms");
    }
  }

  /** The client closed or reset the connection: nobody is left to answer. */
  void clientGone(String reason) {
    if (state == State.TXN_CLOSE_HOOK || state == State.DONE) {
      return; // already ending (TXN_CLOSE must not run twice); the client side closes once it is done
    }
    if (state.isHook()) {
      // A hook holds the transaction: free the connection now; it ends (TXN_CLOSE, log) when the hook reenables.
      if (t.failure == null) {
        t.failure = reason;
      }
      client.close();
    } else {
      abort(reason);
    }
  }

  /** The client side is closing: free what the transaction holds and end it, unless a hook will. */
  void clientClosed() {
    tunnel.close(); // before the client's VConn closes: a blind tunnel's buffers go back only through it
    cancelResponseTimer();
    cancelConnect();
    closeOrigin();
    if (t.requestBuffer != null) {
      t.requestBuffer.close();
      t.requestBuffer = null;
    }
    if (!state.isHook() && state != State.DONE) {
      // Nobody else will end it: log it now. A transaction in a hook chain is ended when the hook resumes it.
      transition(State.TXN_CLOSE_HOOK);
    }
  }

  /** The client side failed with an exception: record it as the transaction's failure. */
  void internalError(Throwable e) {
    if (t.failure == null) {
      t.failure = "internal error: " + e;
    }
  }

  /**
   * A hook continuation reenabled transaction {@code txnId} (any thread; the hook it stopped at was released):
   * continue on the loop, under the lock.
   */
  void resume(Event event, long txnId) {
    if (!t.hooks.keepReenableMadeInCallback(event)) {
      ContinuationScheduler.dispatch(client.eventLoop(), controlCont, event, new Resume(txnId));
    }
  }

  @Override
  public void resumeAfterHook(Event event) {
    ReentrantLock lock = controlCont.lock();
    if (lock.tryLock()) {
      try {
        resumeHooks(event, t.id);
      } finally {
        lock.unlock();
      }
    } else {
      ContinuationScheduler.dispatch(client.eventLoop(), controlCont, event, new Resume(t.id));
    }
  }

  /** Resumes the hook chain of transaction {@code txnId}, unless it ended meanwhile (under the lock). */
  private void resumeHooks(Event event, long txnId) {
    try {
      if (txnId == t.id && !t.ended()) {
        t.hooks.resume(event); // also after close: the transaction still has to end
      }
    } catch (RuntimeException | AssertionError e) {
      client.fail(e);
    }
  }

  // ------------------------------------------------------------------------------------------------ hook chain

  @Override
  public boolean isClosed() {
    return client.isClosed();
  }

  /**
   * A hook chain finished. The time the hooks held the transaction does not count against the peers, and a
   * timeout that fired meanwhile was ignored (inactivity timers fire once and re-arm only on a transfer), so the
   * clocks of what is still being timed start again.
   */
  @Override
  public void chainEnded(HttpTransaction txn, HttpHookId hook) {
    if (client.isClosed() || hook == HttpHookId.TXN_CLOSE) {
      return;
    }
    if (t.originConn != null) {
      t.originConn.watchInactivity(config.timeouts().inactivity(), originCont);
    }
    if (t.requestSink != null && !t.requestBodyDone) {
      client.watchClient(true);
    }
  }

  @Override
  public void endAfterClose(HttpTransaction txn) {
    transition(State.TXN_CLOSE_HOOK);
  }

  @Override
  public void hookFailed(HttpTransaction txn, String reason) {
    t.failure = reason;
    sendError(t.errorStatus, t.failure);
  }

  // ------------------------------------------------------------------------------------------------ events

  private void onOriginEvent(Event event, Object data) {
    // No guarded(() -> ...) wrapper in these handlers: a capturing lambda would be an allocation per event.
    try {
      // An event of another VIO (one of an earlier transaction of this session, on a pooled connection it took
      // again) is not this transaction's.
      if (client.isClosed() || state == State.DONE || t.originConn == null || !(data instanceof VIO vio)
          || vio.vconn() != t.originConn.vconn || (vio != t.originRead && vio != t.originWrite)) {
        return;
      }
      if (event != Event.INACTIVITY_TIMEOUT && event != Event.ACTIVE_TIMEOUT) {
        t.originConn.activity(); // an intercept's timer is the session's: its deadline moves with every event
      }
      switch (event) {
        case READ_READY -> originReadable();
        case EOS -> {
          t.originEos = true;
          originReadable();
        }
        case WRITE_READY, WRITE_COMPLETE -> tunnel.pumpRequestBody();
        case INACTIVITY_TIMEOUT, ACTIVE_TIMEOUT -> {
          if (state.isHook()) {
            return; // the plugin's time; the clock starts again when the hooks are done
          }
          if (!t.requestBodyDone && t.requestReader != null && t.requestReader.readAvail() == 0) {
            // The origin has taken everything and waits for the rest of the body: the client is the one stalling
            // (its own timer fires at the same time), so this is a 408, not the origin's 504.
            clientStalled();
          } else {
            originFailed(true, "origin inactive for " + config.timeouts().inactivity().toMillis() + " ms");
          }
        }
        case ERROR -> {
          if (vio == t.originWrite) {
            originWriteFailed();
          } else if (state.isHook()) {
            return; // reported again when the read is reenabled after the hooks
          } else if (!t.responseDone) {
            originFailed(false, "origin connection failed: " + describe(t.originConn.vconn.error()));
          }
        }
        default -> { }
      }
    } catch (RuntimeException | AssertionError e) {
      client.fail(e); // an exception fails the client side instead of escaping to the loop
    }
  }

  private void onTransformEvent(Event event, Object data) {
    try {
      if (client.isClosed() || !(data instanceof VIO vio)) {
        return;
      }
      tunnel.transformEvent(event, vio);
    } catch (RuntimeException | AssertionError e) {
      client.fail(e);
    }
  }

  private void onControlEvent(Event event, Object data) {
    try {
      if (data instanceof TunnelEnded ended) {
        if (state == State.BLIND_TUNNEL) {
          tunnelEnded(ended.result());
        }
        return;
      }
      if (data instanceof Resume resume) {
        resumeHooks(event, resume.txnId());
        return;
      }
      if (client.isClosed()) {
        return;
      }
      if (data instanceof ConnectAttempt attempt) {
        connectDone(attempt, event);
      }
    } catch (RuntimeException | AssertionError e) {
      client.fail(e);
    }
  }

  // ------------------------------------------------------------------------------------------------ timer

  /**
   * The response timer, armed in {@link State#WAIT_RESPONSE} once the whole request is out. It is the client side's
   * timer, lent to the transaction ({@link ClientSide#armTransactionTimer}): a transaction schedules no timer.
   */
  private void armResponseTimer() {
    client.armTransactionTimer(config.timeouts().response());
  }

  private void cancelResponseTimer() {
    client.cancelTransactionTimer();
  }

  /** The timer armed by {@link #armResponseTimer()} fired (under the client side's lock). */
  void transactionTimerFired() {
    try {
      if (!client.isClosed() && state == State.WAIT_RESPONSE) {
        originFailed(true, "origin sent no response within " + config.timeouts().response().toMillis() + " ms");
      }
    } catch (RuntimeException | AssertionError e) {
      client.fail(e);
    }
  }

  static String describe(VConnError error) {
    if (error == null) {
      return "unknown error";
    }
    return Errno.name(error.errno()) + (error.message() == null ? "" : " (" + error.message() + ")");
  }

  @Override
  public String toString() {
    return "HttpSM[" + t.id + ", " + state + "]";
  }
}
