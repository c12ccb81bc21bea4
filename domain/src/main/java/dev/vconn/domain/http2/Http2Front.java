package dev.vconn.domain.http2;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Event;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VIO;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.BufferSizes;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.http.HttpProxy;
import dev.vconn.domain.tls.TlsVConn;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Protocol selection in front of the HTTP sessions: give its {@link #sessionAcceptor()} to a listener instead of the
 * proxy's, and each accepted client connection goes to an {@link Http2ServerSession} or to the {@link HttpProxy}'s
 * HTTP/1 session (docs/http2.md, "Entry points"):
 *
 * <ul>
 *   <li>a plain connection: the first octets are read, never more than the 24 of the connection preface and only
 *       until they decide. All 24 equal to {@link #PREFACE} ({@code PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n}): HTTP/2 with
 *       prior knowledge (h2c), the preface handed to the session as already read. The first octet that differs, or
 *       the end of the stream: HTTP/1, with the octets read so far handed to {@link HttpProxy#accept}. A client that
 *       has not decided within the proxy's header timeout is closed without an answer, as the HTTP/1 session closes
 *       a connection that sent nothing;</li>
 *   <li>a client the proxy's access control denies is not read: it goes to the HTTP/1 session, which disconnects
 *       it at once and counts it, whatever protocol it meant to speak.</li>
 *   <li>a TLS connection ({@link TlsVConn}): once its handshake is done, the ALPN protocol {@code h2} gives HTTP/2,
 *       anything else (none, {@code http/1.1}, a failed handshake) HTTP/1. The listener's TLS context must offer
 *       {@code h2} in its ALPN list for clients to choose it.</li>
 * </ul>
 *
 * <p>Every HTTP/2 connection gets a distinct number, increasing from 1, passed to its session as the connection id
 * (the {@code piid} of its streams' access log lines). {@link #drain()} closes connections still being told apart,
 * drains every HTTP/2 session (GOAWAY, in-flight streams finish) and completes once they are all closed; drain the
 * proxy too (its in-process sessions carry the streams).
 *
 * <p>Threading: the acceptor is called on the client connection's loop, as a listener calls it; each connection is
 * told apart under its own continuation's lock on that loop; the other methods are thread-safe.
 */
public final class Http2Front {
  /** The client connection preface of RFC 9113, section 3.4. */
  private static final byte[] PREFACE_OCTETS = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  /** The client connection preface of RFC 9113, section 3.4, as an ASCII string of 24 characters. */
  public static final String PREFACE = new String(PREFACE_OCTETS, StandardCharsets.US_ASCII);

  /** The ALPN protocol name of HTTP/2 over TLS (RFC 9113, section 3.2). */
  public static final String ALPN_H2 = "h2";

  /** A running HTTP/2 session as the front tracks it. */
  interface Session {
    void drain();

    void close();

    CompletableFuture<Void> closed();

    int openStreams();
  }

  /** Starts an HTTP/2 session; {@link Http2ServerSession#start} outside tests. */
  @FunctionalInterface
  interface SessionStarter {
    Session start(VConn client, IOBufferReader alreadyRead, long connectionId, SocketAddress clientAddress);
  }

  /**
   * Counters of the front.
   *
   * @param http2Connections HTTP/2 connections started so far (h2c and h2)
   * @param activeHttp2Connections HTTP/2 connections open now
   * @param openHttp2Streams streams open now over all HTTP/2 connections
   * @param http1Connections connections handed to the HTTP/1 session so far
   */
  public record Stats(long http2Connections, int activeHttp2Connections, int openHttp2Streams,
      long http1Connections) {}

  private final HttpProxy proxy;
  private final SessionStarter starter;
  private final BlockPool pool;
  private final Duration decisionTimeout;
  private final Continuation acceptor = new Continuation(this::onAccept);
  private final Set<Pending> pending = ConcurrentHashMap.newKeySet();
  private final Set<Session> sessions = ConcurrentHashMap.newKeySet();
  private final AtomicLong connectionIds = new AtomicLong();
  private final AtomicLong http1Connections = new AtomicLong();
  private final CompletableFuture<Void> drained = new CompletableFuture<>();
  private volatile boolean draining;

  /**
   * A front for {@code proxy} whose HTTP/2 connections are {@link Http2ServerSession}s.
   *
   * @param proxy serves HTTP/1 connections; its block pool holds the octets read to decide, its header timeout
   *     bounds the wait for them
   * @param connector opens the in-process connection of each stream (usually the proxy's own, through a transport's
   *     {@code HttpConnector} made from {@code proxy.sessionAcceptor()})
   * @param config the HTTP/2 sessions' settings and limits
   */
  public Http2Front(HttpProxy proxy, Http2StreamConnector connector, Http2Config config) {
    this(proxy, sessionsOf(Objects.requireNonNull(connector, "connector"), Objects.requireNonNull(config, "config"),
        proxy.config().blockPool()));
  }

  Http2Front(HttpProxy proxy, SessionStarter starter) {
    this.proxy = Objects.requireNonNull(proxy, "proxy");
    this.starter = Objects.requireNonNull(starter, "starter");
    this.pool = proxy.config().blockPool();
    this.decisionTimeout = proxy.config().timeouts().header();
  }

  private static SessionStarter sessionsOf(Http2StreamConnector connector, Http2Config config, BlockPool pool) {
    return (client, alreadyRead, id, address) -> {
      Http2ServerSession s = Http2ServerSession.start(client, alreadyRead, connector, config, pool, id, address);
      return new Session() {
        @Override
        public void drain() {
          s.drain();
        }

        @Override
        public void close() {
          s.close();
        }

        @Override
        public CompletableFuture<Void> closed() {
          return s.closed();
        }

        @Override
        public int openStreams() {
          return s.openStreams();
        }
      };
    };
  }

  /**
   * The continuation that takes NET_ACCEPT (data: the client VConn, which the front then owns) and tells the
   * protocol apart. Other events are ignored.
   *
   * @return the acceptor
   */
  public Continuation sessionAcceptor() {
    return acceptor;
  }

  /**
   * The counters.
   *
   * @return a snapshot
   */
  public Stats stats() {
    int streams = 0;
    for (Session s : List.copyOf(sessions)) {
      streams += s.openStreams();
    }
    return new Stats(connectionIds.get(), sessions.size(), streams, http1Connections.get());
  }

  /**
   * How many HTTP/2 connections are open.
   *
   * @return the number of HTTP/2 sessions not yet closed
   */
  public int openSessions() {
    return sessions.size();
  }

  /**
   * Starts a graceful shutdown: connections still being told apart are closed, every HTTP/2 session is drained
   * (GOAWAY with the last stream id; in-flight streams finish), new connections are refused. Stop the listener
   * first. Idempotent.
   *
   * @return completes once every HTTP/2 session and every connection being told apart is closed
   */
  public CompletableFuture<Void> drain() {
    draining = true;
    for (Pending p : List.copyOf(pending)) {
      p.stop();
    }
    for (Session s : List.copyOf(sessions)) {
      s.drain();
    }
    checkDrained();
    return drained;
  }

  /** Closes every HTTP/2 session and every connection being told apart now; streams in flight are aborted. */
  public void close() {
    draining = true;
    for (Pending p : List.copyOf(pending)) {
      p.stop();
    }
    for (Session s : List.copyOf(sessions)) {
      s.close();
    }
    checkDrained();
  }

  private void checkDrained() {
    if (draining && pending.isEmpty() && sessions.isEmpty()) {
      drained.complete(null);
    }
  }

  private void onAccept(Event event, Object data) {
    if (event != Event.NET_ACCEPT || !(data instanceof VConn client)) {
      return;
    }
    accept(client, null, null);
  }

  /**
   * Tells the protocol of a connection apart that an earlier front stage (a PROXY protocol header reader) has
   * started reading, as {@link HttpProxy#accept} does for HTTP/1: the front owns {@code client} from now on and the
   * buffer of {@code alreadyRead}, whose octets count as the first ones of the connection. Call it on the client's
   * event loop.
   *
   * @param client the client connection (a {@code TlsVConn} on a TLS listener: ALPN decides)
   * @param alreadyRead octets read from the client so far, or null for none
   * @param clientAddress the address that counts for the client (a PROXY protocol header's), or null for the
   *     connection's remote address; handed on to the HTTP/1 or HTTP/2 session
   */
  public void accept(VConn client, IOBufferReader alreadyRead, SocketAddress clientAddress) {
    Objects.requireNonNull(client, "client");
    if (draining) {
      if (alreadyRead != null) {
        alreadyRead.buffer().close();
      }
      client.close(); // shutting down: refuse, like a closed listener
      return;
    }
    SocketAddress counted = clientAddress != null ? clientAddress : client.remoteAddress();
    if (proxy.config().accessControl().denial(counted).isPresent()) {
      // Not read at all: the HTTP/1 session disconnects a denied client at once and counts it.
      http1Connections.incrementAndGet();
      proxy.accept(client, alreadyRead, clientAddress);
      return;
    }
    new Pending(client, alreadyRead, clientAddress).start();
  }

  /** One client connection whose protocol is not known yet. */
  private final class Pending {
    private final VConn client;
    private final Continuation cont;
    /** The address the sessions get: a PROXY protocol header's, or null for the connection's own. */
    private final SocketAddress clientAddress;
    private IOBufferReader early;
    private IOBuffer buffer;
    private IOBufferReader reader;
    private boolean decided;

    Pending(VConn client, IOBufferReader early, SocketAddress clientAddress) {
      this.client = client;
      this.early = early;
      this.clientAddress = clientAddress;
      this.cont = new Continuation(this::onEvent);
    }

    void start() {
      cont.lock().lock();
      try {
        pending.add(this);
        if (client instanceof TlsVConn tls) {
          if (early != null) {
            // Octets before a TLS handshake are not the client's to give: the PROXY stage reads none past its header.
            early.buffer().close();
            early = null;
          }
          // The handshake future completes on the loop without a lock: the decision is taken under ours.
          tls.handshake().whenComplete((info, failure) ->
              ContinuationScheduler.dispatch(client.eventLoop(), cont, Event.IMMEDIATE, tls));
          return;
        }
        buffer = new IOBuffer(pool, BufferSizes.MIN_INDEX);
        reader = buffer.allocReader();
        if (early != null) {
          buffer.write(early, early.readAvail());
          early.buffer().close();
          early = null;
          if (decideOnWhatIsRead(null)) {
            return;
          }
        }
        client.setActiveTimeout(decisionTimeout);
        client.read(cont, PREFACE_OCTETS.length - reader.readAvail(), buffer);
      } catch (RuntimeException e) {
        closeNow();
        throw e;
      } finally {
        cont.lock().unlock();
      }
    }

    /** From any thread: close the connection unless it was already handed on. */
    void stop() {
      ContinuationScheduler.dispatch(client.eventLoop(), cont, Event.IMMEDIATE, this);
    }

    private void onEvent(Event event, Object data) {
      if (decided) {
        return;
      }
      if (data == this || draining) {
        closeNow();
        return;
      }
      if (data instanceof TlsVConn tls) {
        if (event == Event.IMMEDIATE) {
          boolean h2 = !tls.handshake().isCompletedExceptionally()
              && ALPN_H2.equals(tls.handshake().join().applicationProtocol());
          // A failed handshake goes to HTTP/1 too: its session sees the error on its read and counts the connection.
          handOn(h2, null);
        }
        return;
      }
      if (!(data instanceof VIO vio) || vio.vconn() != client) {
        return;
      }
      switch (event) {
        case READ_READY, READ_COMPLETE -> {
          if (!decideOnWhatIsRead(vio)) {
            vio.reenable();
          }
        }
        case EOS -> handOn(false, reader); // the HTTP/1 session reads the end of the stream again and closes
        default -> closeNow(); // ERROR, or nothing that decides within the header timeout
      }
    }

    /** Hands the connection on if the octets read so far decide (under the lock); false if more are needed. */
    private boolean decideOnWhatIsRead(VIO deciding) {
      long n = Math.min(reader.readAvail(), PREFACE_OCTETS.length);
      for (int i = 0; i < n; i++) {
        if (reader.byteAt(i) != PREFACE_OCTETS[i]) {
          handOn(false, reader, deciding != null);
          return true;
        }
      }
      if (n == PREFACE_OCTETS.length) {
        handOn(true, reader, deciding != null);
        return true;
      }
      return false;
    }

    /** Hands the connection to HTTP/2 or HTTP/1 with the octets read so far (under the lock). */
    private void handOn(boolean http2, IOBufferReader alreadyRead) {
      handOn(http2, alreadyRead, alreadyRead != null);
    }

    private void handOn(boolean http2, IOBufferReader alreadyRead, boolean readPosted) {
      decided = true;
      pending.remove(this);
      if (readPosted) {
        client.cancelActiveTimeout();
        client.read(cont, 0, buffer); // retires the deciding read: no more events come here
      }
      if (http2) {
        startHttp2(alreadyRead);
      } else {
        http1Connections.incrementAndGet();
        proxy.accept(client, alreadyRead, clientAddress);
      }
      checkDrained();
    }

    private void startHttp2(IOBufferReader alreadyRead) {
      Session session;
      try {
        session = starter.start(client, alreadyRead, connectionIds.incrementAndGet(),
            clientAddress != null ? clientAddress : client.remoteAddress());
      } catch (RuntimeException e) {
        if (alreadyRead != null) {
          alreadyRead.buffer().close();
        }
        client.close();
        throw e;
      }
      if (alreadyRead != null) {
        // The session copies the octets in start and frees its reader; the buffer is the front's to close (closing
        // is idempotent, so a session that closes it too is fine).
        alreadyRead.buffer().close();
      }
      sessions.add(session);
      if (draining) {
        session.drain();
      }
      session.closed().whenComplete((ok, failure) -> {
        sessions.remove(session);
        checkDrained();
      });
    }

    private void closeNow() {
      decided = true;
      if (buffer != null) {
        buffer.close();
      }
      client.close();
      pending.remove(this);
      checkDrained();
    }
  }
}
