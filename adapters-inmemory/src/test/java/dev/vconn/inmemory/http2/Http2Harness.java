package dev.vconn.inmemory.http2;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VIO;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.http.AccessLogRecord;
import dev.vconn.domain.http.HttpHookId;
import dev.vconn.domain.http.HttpHooks;
import dev.vconn.domain.http.HttpProxy;
import dev.vconn.domain.http.HttpProxyConfig;
import dev.vconn.domain.http.HttpTxn;
import dev.vconn.domain.http.RemapRule;
import dev.vconn.domain.http2.Http2Config;
import dev.vconn.domain.http2.Http2FrameParser;
import dev.vconn.domain.http2.Http2ServerSession;
import dev.vconn.domain.http2.Http2StreamConnector;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.inmemory.FaultPlan;
import dev.vconn.inmemory.InMemoryNetwork;
import dev.vconn.inmemory.InMemoryTransport;
import dev.vconn.ports.AdoptionException;
import dev.vconn.ports.HttpConnectOptions;
import dev.vconn.ports.HttpConnector;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.OriginConnectors;
import dev.vconn.ports.TransportConfig;
import dev.vconn.ports.contract.BytePattern;
import dev.vconn.ports.contract.HttpKitServer;
import dev.vconn.ports.contract.HttpKitServer.Reply;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An {@link Http2ServerSession} on the in-memory transport with a real {@link HttpProxy} behind it, all on the
 * transport's virtual clock, driven by the test thread: each stream reaches the proxy through the transport's
 * {@link HttpConnector} (tag {@code h2}, id = the connection id), and the proxy answers {@code /i/...} with a server
 * intercept and forwards {@code /o/...} to an origin on the transport's own listener (both {@link HttpKitServer}s):
 * <ul>
 *   <li>{@code /i/hello} (and {@code /o/hello}): 200, {@code hello h2}, field {@code x-kit: yes};</li>
 *   <li>{@code /i/len/N}: 200 with N octets of {@link #PATTERN}, Content-Length; {@code /i/chunk/N} chunked;</li>
 *   <li>{@code /i/echo}: 200 with the request body;</li>
 *   <li>{@code /i/hang}: no answer (the stream stays open);</li>
 *   <li>{@code /i/short}: a head saying Content-Length 100, 5 octets of body, then the server closes;</li>
 *   <li>{@code /dead/...}: remapped to a port nobody listens on (the proxy answers 502).</li>
 * </ul>
 * The client is an in-memory socket whose peer the session was started on; {@link Conn} writes raw octets to it and
 * decodes what comes back with an {@link Http2ClientKit}. {@link #close()} ends everything and {@link #leftBehind()}
 * says what was not freed.
 */
final class Http2Harness implements AutoCloseable {
  /** The response body bytes of {@code /i/len/N}. */
  static final BytePattern PATTERN = new BytePattern(0x5eed);
  /** The client address the session is given (and the access log must show). */
  static final InetSocketAddress CLIENT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40_123);
  /** How long {@link Conn#settle()} drives the loop: enough for every in-memory hop, far below every timeout. */
  static final Duration SETTLE = Duration.ofMillis(20);

  final BlockPool pool;
  final InMemoryTransport transport;
  final VirtualTimeEventLoop loop;
  final HttpKitServer intercept;
  final HttpKitServer origin;
  final HttpProxy proxy;
  final List<AccessLogRecord> log = new CopyOnWriteArrayList<>();
  final HttpConnector connector;
  final Http2StreamConnector streamConnector;
  final List<Conn> conns = new ArrayList<>();
  /** How many in-process connections the session opened. */
  int inProcessConnects;
  /**
   * A bug planted on purpose (the fuzz test shows it is caught): the second in-process connect also opens a pair
   * nobody ever closes.
   */
  boolean plantLeak;
  private final NetAcceptor.Listener originListener;

  Http2Harness() {
    this(new BlockPool());
  }

  Http2Harness(BlockPool pool) {
    this.pool = pool;
    this.transport = new InMemoryTransport(new TransportConfig(1, pool, Duration.ofSeconds(5)));
    this.loop = transport.loop();
    this.intercept = new HttpKitServer(pool, Http2Harness::respond);
    this.origin = new HttpKitServer(pool, Http2Harness::respond);
    try {
      originListener = transport.netAcceptor().listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
          origin.acceptor());
    } catch (IOException e) {
      throw new IllegalStateException("the in-memory origin could not listen", e);
    }
    int originPort = ((InetSocketAddress) originListener.localAddress()).getPort();
    HttpHooks hooks = HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, new Continuation((event, data) -> {
      HttpTxn txn = (HttpTxn) data;
      if (txn.clientRequest().target().contains("/i/")) {
        txn.intercept(intercept.acceptor());
      }
      txn.reenable();
    })).build();
    proxy = new HttpProxy(HttpProxyConfig.builder(pool)
        .originConnector(OriginConnectors.of(transport.netConnector()))
        .remap(RemapRule.parse("http://*/o/", "http://127.0.0.1:" + originPort + "/o/"))
        .remap(RemapRule.parse("http://*/dead/", "http://127.0.0.1:" + transport.network().unusedAddress().getPort()
            + "/dead/"))
        .hooks(hooks)
        .accessLog(log::add)
        .build());
    connector = transport.httpConnector(proxy.sessionAcceptor());
    streamConnector = (id, addr) -> {
      inProcessConnects++;
      if (plantLeak && inProcessConnects == 2) {
        connector.connect(HttpConnectOptions.builder().tag("h2").id(id).clientAddress(addr).build());
      }
      return connector.connect(HttpConnectOptions.builder().tag("h2").id(id).clientAddress(addr).build());
    };
  }

  /** The intercept's and origin's answers. */
  static Reply respond(HttpKitServer.Request req) {
    String target = req.head().target();
    if (target.regionMatches(true, 0, "http://", 0, 7)) {
      int slash = target.indexOf('/', 7);
      target = slash < 0 ? "/" : target.substring(slash);
    }
    String path = target.startsWith("/i/") || target.startsWith("/o/") ? target.substring(2) : target;
    if (path.equals("/hello")) {
      return Reply.ok("hello h2").header("x-kit", "yes");
    }
    if (path.equals("/echo")) {
      return Reply.ok(req.body());
    }
    if (path.equals("/hang")) {
      return null;
    }
    if (path.equals("/short")) {
      // Content-Length 100, 5 octets, then the server closes: the response is cut short after its head.
      return Reply.ok("short").untilClose().header("Content-Length", "100");
    }
    String[] parts = path.split("/");
    if (parts.length == 3 && (parts[1].equals("len") || parts[1].equals("chunk"))) {
      long n = Long.parseLong(parts[2]);
      Reply r = Reply.stream(PATTERN, n);
      return parts[1].equals("chunk") ? r.chunked(1000) : r;
    }
    return Reply.ok("kit").status(404, "Not Found");
  }

  /** A client connection with a session started on its peer, with the given config and no faults. */
  Conn open(Http2Config config, long connectionId) {
    return open(config, connectionId, FaultPlan.NONE, FaultPlan.NONE);
  }

  /**
   * A client connection with a session started on its peer.
   *
   * @param toServer faults of the client-to-server direction
   * @param toClient faults of the server-to-client direction
   */
  Conn open(Http2Config config, long connectionId, FaultPlan toServer, FaultPlan toClient) {
    InMemoryNetwork.ChannelPair pair = transport.network().openPair(toServer, toClient);
    VConn serverEnd;
    VConn clientEnd;
    try {
      clientEnd = transport.socketAdopter().adopt(pair.local());
      serverEnd = transport.socketAdopter().adopt(pair.peer());
    } catch (AdoptionException e) {
      throw new IllegalStateException("adopting an in-memory pair failed", e);
    }
    Conn c = new Conn(clientEnd, connectionId);
    c.session = Http2ServerSession.start(serverEnd, null, streamConnector, config, pool, connectionId, CLIENT);
    conns.add(c);
    return c;
  }

  /** Drives the loop for {@link #SETTLE} of virtual time. */
  void settle() {
    loop.advance(SETTLE);
  }

  /** Drives the loop for {@code d} of virtual time. */
  void advance(Duration d) {
    loop.advance(d);
  }

  /** Access-log records of connection {@code connectionId}. */
  List<AccessLogRecord> logOf(long connectionId) {
    return log.stream().filter(r -> r.pluginId() == connectionId).toList();
  }

  /**
   * Closes every client, session, the proxy and the servers, drives the loop until idle. Call {@link #leftBehind()}
   * after.
   */
  @Override
  public void close() {
    for (Conn c : conns) {
      c.close();
      if (c.session != null) {
        c.session.close();
      }
    }
    loop.runUntilIdle();
    proxy.close();
    originListener.close();
    intercept.closeAll();
    origin.closeAll();
    loop.runUntilIdle();
    intercept.closeAll();
    origin.closeAll();
    loop.runUntilIdle();
  }

  /** What {@link #close()} left behind: blocks out, VConns or pairs open, sockets open, sessions open. */
  List<String> leftBehind() {
    List<String> left = new ArrayList<>();
    if (pool.outstanding() != 0) {
      left.add(pool.outstanding() + " blocks outstanding: " + pool);
    }
    if (!transport.openResources().isEmpty()) {
      left.add("open: " + transport.openResources());
    }
    if (transport.openSockets() != 0) {
      left.add(transport.openSockets() + " in-memory sockets open");
    }
    if (proxy.openSessions() != 0) {
      left.add(proxy.openSessions() + " proxy sessions open");
    }
    for (Conn c : conns) {
      if (c.session != null && !c.session.closed().isDone()) {
        left.add("session " + c.connectionId + " never completed closed()");
      }
    }
    return left;
  }

  /** Ends the transport. */
  void shutdownTransport() {
    transport.close();
  }

  /**
   * The test's end of one client connection: raw octets out, server frames decoded into {@link #kit} as they arrive
   * (inside the read callback, under this connection's lock). Never throws into the loop: a broken rule is kept in
   * {@link #failure}.
   */
  final class Conn {
    final long connectionId;
    final Http2ClientKit kit;
    final VConn vconn;
    Http2ServerSession session;
    private final ReentrantLock lock = new ReentrantLock();
    private final Continuation cont = new Continuation(this::handle, lock);
    private final IOBuffer out;
    private final IOBufferReader outReader;
    private final IOBuffer in;
    private final IOBufferReader inReader;
    private WriteVio write;
    private ReadVio read;
    /** EOS came: the server closed (or shut down) its side. */
    boolean eos;
    /** The read or write got ERROR (the server reset or closed with unread bytes). */
    boolean error;
    boolean closed;
    String failure;
    private boolean autoWindow;
    /** Whether everything written so far ends at a frame boundary (where a WINDOW_UPDATE may go). */
    private boolean atFrameBoundary = true;
    /** Window the client owes the server per stream, not sent yet. */
    private final java.util.Map<Integer, Integer> windowOwed = new java.util.LinkedHashMap<>();
    private final java.util.Set<Integer> held = new java.util.HashSet<>();

    Conn(VConn vconn, long connectionId) {
      this.vconn = vconn;
      this.connectionId = connectionId;
      this.kit = new Http2ClientKit(pool);
      this.out = new IOBuffer(pool);
      this.outReader = out.allocReader();
      this.in = new IOBuffer(pool);
      // The kit parses whole frames only: let the transport move a whole frame of any legal size ahead of it
      // (docs/semantics.md, rule 3.5), as the session's own input does.
      in.setWaterMark(Http2FrameParser.MAX_MAX_FRAME_SIZE + Http2FrameParser.FRAME_HEADER_LENGTH);
      this.inReader = in.allocReader();
      lock.lock();
      try {
        read = vconn.read(cont, Long.MAX_VALUE, in);
      } finally {
        lock.unlock();
      }
    }

    /** Writes {@code parts}, whole frames (after everything written before). */
    Conn send(byte[]... parts) {
      lock.lock();
      try {
        write(parts);
        atFrameBoundary = true;
        flushWindow();
        return this;
      } finally {
        lock.unlock();
      }
    }

    /**
     * Writes {@code slice}, which may end inside a frame ({@code endsAtFrameBoundary} false): then the WINDOW_UPDATE
     * frames of {@link #autoWindow()} wait until a later write ends at a frame boundary, so they never land inside
     * another frame.
     */
    Conn sendSlice(byte[] slice, boolean endsAtFrameBoundary) {
      lock.lock();
      try {
        write(slice);
        atFrameBoundary = endsAtFrameBoundary;
        flushWindow();
        return this;
      } finally {
        lock.unlock();
      }
    }

    private void write(byte[]... parts) {
      if (closed || error) {
        return;
      }
      for (byte[] p : parts) {
        out.write(p);
      }
      if (write == null) {
        write = vconn.write(cont, Long.MAX_VALUE, outReader);
      } else {
        write.reenable();
      }
    }

    /** {@link #send} then {@link Http2Harness#settle()}. */
    Conn exchange(byte[]... parts) {
      send(parts);
      settle();
      return this;
    }

    /** Preface and an empty SETTINGS, settle, then ACK the server's SETTINGS and settle. */
    Conn handshake() {
      return handshake(Http2ClientKit.settings());
    }

    /** Preface and {@code settings}, settle, then ACK the server's SETTINGS and settle. */
    Conn handshake(byte[] settings) {
      exchange(Http2ClientKit.PREFACE, settings);
      return exchange(Http2ClientKit.settingsAck());
    }

    /**
     * Gives back, after each read, the window the DATA just received used (WINDOW_UPDATE on the stream and on the
     * connection), as a client that consumes at once does.
     */
    Conn autoWindow() {
      autoWindow = true;
      return this;
    }

    /** With {@link #autoWindow()}: leaves stream {@code streamId}'s window closed (a slow reader of that stream). */
    Conn holdWindow(int streamId) {
      held.add(streamId);
      return this;
    }

    private void openWindows() {
      kit.takeWindowUsed().forEach((stream, n) -> {
        if (!held.contains(stream)) {
          windowOwed.merge(stream, n, Integer::sum);
        }
      });
      flushWindow();
    }

    private void flushWindow() {
      if (!atFrameBoundary || windowOwed.isEmpty()) {
        return;
      }
      long total = 0;
      List<byte[]> updates = new ArrayList<>();
      for (java.util.Map.Entry<Integer, Integer> e : windowOwed.entrySet()) {
        updates.add(Http2ClientKit.windowUpdate(e.getKey(), e.getValue()));
        total += e.getValue();
      }
      windowOwed.clear();
      updates.add(Http2ClientKit.windowUpdate(0, (int) Math.min(total, Integer.MAX_VALUE)));
      write(updates.toArray(new byte[0][]));
    }

    /** Octets written but not yet taken by the transport. */
    long unsent() {
      lock.lock();
      try {
        return outReader.readAvail();
      } finally {
        lock.unlock();
      }
    }

    /** Whether the server ended the connection (EOS or ERROR seen by the client). */
    boolean ended() {
      return eos || error;
    }

    private void handle(Event event, Object data) {
      if (closed) {
        return;
      }
      if (!(data instanceof VIO vio) || (vio != read && vio != write)) {
        fail(event + " for a VIO that is not this client's: " + data);
        return;
      }
      try {
        switch (event) {
          case READ_READY, READ_COMPLETE -> {
            kit.decode(inReader);
            if (autoWindow) {
              openWindows();
            }
            read.reenable();
          }
          case EOS -> {
            kit.decode(inReader);
            eos = true;
          }
          case ERROR -> {
            kit.decode(inReader);
            error = true;
          }
          case WRITE_READY, WRITE_COMPLETE -> { }
          default -> fail("unexpected event " + event);
        }
      } catch (RuntimeException e) {
        fail(event + ": " + e);
      }
    }

    private void fail(String what) {
      if (failure == null) {
        failure = what;
      }
    }

    /** Closes the client's socket and frees its buffers. Idempotent. */
    void close() {
      lock.lock();
      try {
        if (closed) {
          return;
        }
        closed = true;
        vconn.close();
        out.close();
        in.close();
        kit.close();
      } finally {
        lock.unlock();
      }
    }

    /** Everything received so far, for failure messages. */
    String describe() {
      return "connection " + connectionId + (eos ? " (EOS)" : "") + (error ? " (ERROR)" : "") + ", received:"
          + kit.describe() + (failure == null ? "" : "\n    client failure: " + failure);
    }
  }
}
