package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.VIO;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.domain.pair.VConnPair;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A proxy on the virtual-time loop, reached by in-process clients over pairs, with scripted origins that are also
 * pairs: whole HTTP scenarios run deterministically, without sockets or sleeping.
 */
final class HttpRig implements AutoCloseable {
  static final SocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);

  /** The proxy's wall clock in every rig: the {@code Date} of its own responses is {@link #DATE}. */
  static final java.time.Clock CLOCK =
      java.time.Clock.fixed(java.time.Instant.parse("2026-03-05T07:08:09Z"), java.time.ZoneOffset.UTC);
  static final String DATE = "Thu, 05 Mar 2026 07:08:09 GMT";

  final BlockPool pool = new BlockPool();
  final VirtualTimeEventLoop loop = new VirtualTimeEventLoop();
  final List<AccessLogRecord> log = new CopyOnWriteArrayList<>();
  final Map<String, TestOrigin> origins = new HashMap<>();
  /** Hand-written origins (e.g. streaming): each gets the passive end of a new pair and must close it. */
  final Map<String, Consumer<VConn>> servers = new HashMap<>();
  /** Run by {@link #close()} before the checks: hand-written origins close what they hold. */
  final List<Runnable> closers = new ArrayList<>();
  final List<String> connectAttempts = new ArrayList<>();
  final List<VConnPair> pairs = new ArrayList<>();
  final List<Client> clients = new ArrayList<>();
  final HttpProxy proxy;

  HttpRig(Consumer<HttpProxyConfig.Builder> customize) {
    this((loop, b) -> customize.accept(b));
  }

  /** A rig whose configuration may use its loop (the virtual clock of upstream groups, health-check timers). */
  HttpRig(java.util.function.BiConsumer<VirtualTimeEventLoop, HttpProxyConfig.Builder> customize) {
    HttpProxyConfig.Builder b = HttpProxyConfig.builder(pool)
        .accessLog(log::add)
        .originConnector(this::connect)
        .clock(CLOCK)
        .healthCheckLoop(loop)
        // The scenarios compare the exact bytes an origin receives: no forwarding fields unless a test asks for them
        // (HttpForwardingTest does, the default policy included).
        .forwarding(ForwardingPolicy.none());
    customize.accept(loop, b);
    proxy = new HttpProxy(b.build());
  }

  HttpRig() {
    this(b -> {});
  }

  /** Registers an origin at {@code host:port}. */
  TestOrigin origin(String hostPort, Function<TestOrigin.Request, String> respond) {
    TestOrigin o = new TestOrigin(this, respond);
    origins.put(hostPort, o);
    return o;
  }

  /** Registers a hand-written origin at {@code host:port}: it gets the passive end of each connection. */
  void server(String hostPort, Consumer<VConn> accept) {
    servers.put(hostPort, accept);
  }

  private dev.vconn.domain.ScheduledAction connect(Continuation c, String host, int port, Duration timeout) {
    String key = host + ":" + port;
    connectAttempts.add(key);
    Consumer<VConn> server = servers.get(key);
    if (server != null) {
      VConnPair pair = VConnPair.open(loop, VConnPair.Options.defaults());
      pairs.add(pair);
      server.accept(pair.passive());
      return ContinuationScheduler.dispatch(loop, c, Event.NET_CONNECT, pair.active());
    }
    TestOrigin o = origins.get(key);
    if (o != null && o.refuseNext > 0) {
      o.refuseNext--;
      return ContinuationScheduler.dispatch(loop, c, Event.NET_CONNECT_FAILED,
          VConnError.of(Errno.ECONNREFUSED, "connection refused"));
    }
    if (o == null || o.refuse) {
      return ContinuationScheduler.dispatch(loop, c, Event.NET_CONNECT_FAILED,
          VConnError.of(Errno.ECONNREFUSED, "connection refused"));
    }
    if (o.blackhole) {
      return ContinuationScheduler.schedule(loop, c, Event.NET_CONNECT_FAILED,
          VConnError.of(Errno.ETIMEDOUT, "connect timed out"), timeout);
    }
    VConnPair pair = VConnPair.open(loop, VConnPair.Options.defaults());
    pairs.add(pair);
    o.accept(pair.passive());
    return ContinuationScheduler.dispatch(loop, c, Event.NET_CONNECT, pair.active());
  }

  /** A new in-process client connection, like {@code HttpConnector.connect}. */
  Client client() {
    return client("plugin", 0, CLIENT);
  }

  Client client(String tag, long id, SocketAddress address) {
    VConnPair pair = VConnPair.open(loop, new VConnPair.Options(tag, id, 8, 0, address));
    pairs.add(pair);
    proxy.sessionAcceptor().lock().lock();
    try {
      proxy.sessionAcceptor().handler().handle(Event.NET_ACCEPT, pair.passive());
    } finally {
      proxy.sessionAcceptor().lock().unlock();
    }
    Client c = new Client(this, pair.active());
    clients.add(c);
    return c;
  }

  /**
   * A new in-process client connection handed to {@link HttpProxy#accept} with {@code early} as the octets a front
   * stage already read from it.
   */
  Client clientWithAlreadyRead(String early) {
    VConnPair pair = VConnPair.open(loop, new VConnPair.Options("plugin", 0, 8, 0, CLIENT));
    pairs.add(pair);
    IOBuffer buffer = new IOBuffer(pool);
    IOBufferReader reader = buffer.allocReader();
    buffer.write(early.getBytes(StandardCharsets.ISO_8859_1));
    proxy.accept(pair.passive(), reader, null);
    Client c = new Client(this, pair.active());
    clients.add(c);
    return c;
  }

  /** Runs what is ready now; no virtual time passes (timeouts do not fire). */
  void run() {
    loop.runReady();
  }

  /** Lets virtual time pass, firing the timers due on the way. */
  void advance(Duration d) {
    loop.advance(d);
  }

  /** Closes everything and checks that no block, session or pair is left behind. */
  @Override
  public void close() {
    assertEquals(0, proxy.stats().snapshot().internalErrors(), "a session handler threw (see the log)");
    proxy.close();
    loop.runUntilIdle();
    List.copyOf(clients).forEach(Client::close);
    origins.values().forEach(TestOrigin::closeAll);
    closers.forEach(Runnable::run);
    run();
    for (VConnPair p : pairs) {
      p.active().close();
    }
    loop.runUntilIdle();
    assertEquals(0, proxy.openSessions(), "sessions left open");
    for (VConnPair p : pairs) {
      assertEquals(true, p.isFreed(), "pair left open: " + p);
    }
    assertEquals(0, pool.outstanding(), "blocks not returned to the pool: " + pool);
  }

  static String ascii(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  /** Where a tapped client's bytes go. */
  interface Tap {
    void bytes(byte[] b, int len);
  }

  /** A client driving the active end: writes what it is given, reads everything into {@link #received()}. */
  static final class Client {
    final HttpRig rig;
    final VConn vconn;
    final IOBuffer out;
    final IOBufferReader outReader;
    final IOBuffer in;
    final IOBufferReader inReader;
    final ByteArrayOutputStream received = new ByteArrayOutputStream();
    final Continuation cont;
    WriteVio write;
    ReadVio read;
    boolean eos;
    boolean readError;
    boolean writeError;
    boolean closed;
    long readLimit = Long.MAX_VALUE;
    boolean shutdownWhenSent;
    /** Bytes consumed from the connection so far. */
    long consumed;
    /** When set, received bytes go here instead of into {@link #received} (for bodies too big to keep). */
    Tap tap;
    private final byte[] scratch = new byte[64 * 1024];

    Client(HttpRig rig, VConn vconn) {
      this.rig = rig;
      this.vconn = vconn;
      out = new IOBuffer(rig.pool);
      outReader = out.allocReader();
      in = new IOBuffer(rig.pool);
      inReader = in.allocReader();
      cont = new Continuation(this::handle);
      read = vconn.read(cont, Long.MAX_VALUE, in);
      write = vconn.write(cont, Long.MAX_VALUE, outReader);
    }

    Client send(String text) {
      return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    Client send(byte[] bytes) {
      cont.lock().lock();
      try {
        out.write(bytes);
        write.reenable();
      } finally {
        cont.lock().unlock();
      }
      return this;
    }

    /** Stops consuming: the proxy must hold back (backpressure). */
    void pauseReading() {
      readLimit = consumed;
    }

    void resumeReading() {
      readUpTo(Long.MAX_VALUE);
    }

    /** Consumes until {@code total} bytes were consumed in all, then stops again. */
    void readUpTo(long total) {
      cont.lock().lock();
      try {
        readLimit = total;
        drain();
        read.reenable();
      } finally {
        cont.lock().unlock();
      }
    }

    void shutdownWrite() {
      vconn.shutdown(ShutdownHow.WRITE);
    }

    /** Shuts down the write side as soon as everything sent so far has left (a shutdown drops unsent bytes). */
    void shutdownWriteAfterSending() {
      cont.lock().lock();
      try {
        shutdownWhenSent = true;
        write.reenable(); // WRITE_READY comes once the buffer is drained
      } finally {
        cont.lock().unlock();
      }
    }

    private void handle(Event event, Object data) {
      if (!(data instanceof VIO)) {
        return;
      }
      switch (event) {
        case READ_READY -> drain();
        case WRITE_READY -> {
          if (shutdownWhenSent && outReader.readAvail() == 0) {
            shutdownWhenSent = false;
            vconn.shutdown(ShutdownHow.WRITE);
          }
        }
        case EOS -> {
          drain();
          eos = true;
        }
        case ERROR -> {
          if (data == read) {
            readError = true;
          } else {
            writeError = true;
          }
        }
        default -> { }
      }
    }

    private void drain() {
      while (true) {
        long n = Math.min(inReader.readAvail(), Math.max(0, readLimit - consumed));
        if (n <= 0) {
          return;
        }
        int k = (int) Math.min(n, scratch.length);
        inReader.read(scratch, 0, k);
        consumed += k;
        if (tap != null) {
          tap.bytes(scratch, k);
        } else {
          received.write(scratch, 0, k);
        }
      }
    }

    String received() {
      return ascii(received.toByteArray());
    }

    /** The responses received so far, parsed; {@code methods} are the requests' methods in order (HEAD matters). */
    List<Response> responses(String... methods) {
      return Response.parseAll(received(), methods);
    }

    /** The one response received, which must be complete. */
    Response response() {
      List<Response> all = responses();
      assertEquals(1, all.size(), () -> "expected one response, got: " + received());
      return all.get(0);
    }

    void close() {
      if (!closed) {
        closed = true;
        vconn.close();
        rig.run();
        out.close();
        in.close();
      }
    }
  }
}
