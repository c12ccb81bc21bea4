package dev.vconn.inmemory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VIO;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.http.AccessLogRecord;
import dev.vconn.domain.http.BadMessageException;
import dev.vconn.domain.http.BodyDecoder;
import dev.vconn.domain.http.HttpHeadParser;
import dev.vconn.domain.http.HttpProxy;
import dev.vconn.domain.http.HttpProxyConfig;
import dev.vconn.domain.http.HttpRequestHead;
import dev.vconn.domain.http.RemapRule;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.ports.HttpConnectOptions;
import dev.vconn.ports.HttpConnector;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.OriginConnectors;
import dev.vconn.ports.TransportConfig;
import dev.vconn.ports.contract.HttpWire;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The simulation of stale keep-alive connections, seeded and on virtual time: an origin on the in-memory transport
 * (its connections with 1 ms latency, some fragmented) that closes idle keep-alive connections at random moments,
 * without ever saying {@code Connection: close}: right after a response, or a little later, so its FIN often crosses
 * the proxy's next request on the way. Clients send sequences of GET, HEAD, PUT, DELETE and POST requests through the
 * proxy, with random pauses.
 *
 * <p>The invariant: no idempotent request gets a 502 because of a pooled connection the origin closed (it goes
 * again on a new connection); a POST may get a 502 only, and the origin never receives one POST twice; every
 * response is the origin's own; afterwards no session, pooled connection, block or socket is left.
 */
class SimulationStalePoolTest {
  static final long BASE_SEED = 0x57A1E000L;
  static final int ROUNDS = 20;
  static final int CLIENTS = 10;
  static final int REQUESTS = 8;

  @Test
  void no_502_for_an_idempotent_request_because_an_origin_closed_a_pooled_connection() throws Exception {
    long quietCloses = 0;
    long crossed = 0;
    long reused = 0;
    List<String> violations = new ArrayList<>();
    for (long seed = BASE_SEED; seed < BASE_SEED + ROUNDS && violations.isEmpty(); seed++) {
      Round r = new Round(seed);
      r.run();
      violations.addAll(r.violations.stream().map(v -> "seed " + r.seed + ": " + v).toList());
      quietCloses += r.origin.quietCloses;
      crossed += r.origin.crossed;
      reused += r.origin.requests.size() - r.origin.accepted;
    }
    System.out.printf("vconn stale pool simulation: %d idle connections closed by the origin, %d requests on reused "
        + "connections, %d crossed the origin's FIN%n", quietCloses, reused, crossed);
    assertEquals(List.of(), violations);
    // The race must really have happened, or the invariant proves nothing.
    assertTrue(quietCloses > 100, "the origin closed only " + quietCloses + " idle connections");
    assertTrue(reused > 100, "pooled connections carried only " + reused + " requests");
    assertTrue(crossed > 10, "only " + crossed + " requests crossed the origin's FIN");
  }

  /** One seeded run: a transport, an origin, a proxy and its clients. */
  static final class Round {
    final long seed;
    final SplittableRandom random;
    final BlockPool pool = new BlockPool();
    final InMemoryTransport transport = new InMemoryTransport(new TransportConfig(1, pool, Duration.ofSeconds(5)));
    final VirtualTimeEventLoop loop = transport.loop();
    final List<AccessLogRecord> log = new CopyOnWriteArrayList<>();
    final List<String> violations = new ArrayList<>();
    final QuietCloseOrigin origin;

    Round(long seed) {
      this.seed = seed;
      this.random = new SplittableRandom(seed);
      this.origin = new QuietCloseOrigin(pool, loop, new SplittableRandom(seed * 31 + 1));
    }

    void run() throws Exception {
      transport.network().setConnectFaults(
          FaultPlan.builder(seed).fragmentation(random.nextBoolean()).latency(Duration.ofMillis(1)).build(),
          FaultPlan.builder(seed + 1).fragmentation(random.nextBoolean()).latency(Duration.ofMillis(1)).build());
      InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
      NetAcceptor.Listener originListener = transport.netAcceptor().listen(any, origin.acceptor);
      int port = ((InetSocketAddress) originListener.localAddress()).getPort();
      HttpProxy proxy = new HttpProxy(HttpProxyConfig.builder(pool)
          .originConnector(OriginConnectors.of(transport.netConnector()))
          .remap(RemapRule.parse("http://*/", "http://127.0.0.1:" + port + "/"))
          .maxIdlePerOrigin(1 + random.nextInt(4))
          .accessLog(log::add)
          .build());
      HttpConnector connector = transport.httpConnector(proxy.sessionAcceptor());
      List<SimClient> clients = new ArrayList<>();
      for (int i = 0; i < CLIENTS; i++) {
        SimClient c = new SimClient(this, i, new SplittableRandom(seed * 1000 + i));
        clients.add(c);
        c.start(connector.connect(HttpConnectOptions.builder()
            .clientAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000 + i)).tag("sim").id(i)
            .build()));
      }
      loop.runUntilIdle();
      for (SimClient c : clients) {
        c.judge();
        c.close();
      }
      origin.judge(violations);
      loop.runUntilIdle();
      if (proxy.openSessions() != 0) {
        violations.add(proxy.openSessions() + " sessions left open");
      }
      if (proxy.stats().snapshot().internalErrors() != 0) {
        violations.add("a session failed with an exception");
      }
      if (proxy.idleOriginConnections() != 0) {
        violations.add(proxy.idleOriginConnections() + " pooled origin connections after every timeout passed");
      }
      proxy.close();
      originListener.close();
      origin.closeAll();
      loop.runUntilIdle();
      if (pool.outstanding() != 0) {
        violations.add(pool.outstanding() + " blocks outstanding: " + pool);
      }
      if (transport.openSockets() != 0) {
        violations.add(transport.openSockets() + " in-memory sockets left open");
      }
      transport.close();
    }
  }

  /**
   * A client that sends {@link #REQUESTS} requests one at a time, each after the previous response and a random
   * pause, and records every response.
   */
  static final class SimClient {
    final Round round;
    final int number;
    final SplittableRandom random;
    final Continuation cont = new Continuation(this::handle);
    final List<String> methods = new ArrayList<>();
    final List<String> targets = new ArrayList<>();
    final HttpWire.ResponseParser parser = new HttpWire.ResponseParser(null, true);
    IOBuffer out;
    IOBufferReader outReader;
    IOBuffer in;
    IOBufferReader inReader;
    VConn vconn;
    WriteVio write;
    ReadVio read;
    boolean ended;
    boolean closed;
    int answered;

    SimClient(Round round, int number, SplittableRandom random) {
      this.round = round;
      this.number = number;
      this.random = random;
    }

    void start(VConn vc) {
      cont.lock().lock();
      try {
        vconn = vc;
        out = new IOBuffer(round.pool);
        outReader = out.allocReader();
        in = new IOBuffer(round.pool);
        inReader = in.allocReader();
        read = vconn.read(cont, Long.MAX_VALUE, in);
        write = vconn.write(cont, Long.MAX_VALUE, outReader);
        sendNext();
      } finally {
        cont.lock().unlock();
      }
    }

    private void sendNext() {
      int i = methods.size();
      int m = random.nextInt(10);
      String method = m < 4 ? "GET" : m < 5 ? "HEAD" : m < 6 ? "PUT" : m < 7 ? "DELETE" : "POST";
      String target = "/r/" + number + "/" + i;
      methods.add(method);
      targets.add(target);
      parser.expectHead(method.equals("HEAD"));
      String body = method.equals("PUT") || method.equals("POST") ? "body of " + target : "";
      String request = method + " " + target + " HTTP/1.1\r\nHost: sim.test\r\n"
          + (body.isEmpty() ? "" : "Content-Length: " + body.length() + "\r\n") + "\r\n";
      out.write(HttpWire.bytes(request));
      if (!body.isEmpty() && random.nextInt(3) == 0) {
        // The body a little later: the head may go out (and meet a closed connection) before it.
        round.loop.schedule(() -> sendLater(HttpWire.bytes(body)), Duration.ofNanos(random.nextLong(2_000_000)));
      } else {
        out.write(HttpWire.bytes(body));
      }
      write.reenable();
    }

    private void sendLater(byte[] bytes) {
      cont.lock().lock();
      try {
        if (!closed && !ended) {
          out.write(bytes);
          write.reenable();
        }
      } finally {
        cont.lock().unlock();
      }
    }

    private void handle(Event event, Object data) {
      if (closed || !(data instanceof VIO)) {
        return;
      }
      switch (event) {
        case READ_READY -> drain();
        case EOS, ERROR -> {
          if (data == read) {
            drain();
            ended = true;
            parser.endOfStream();
          }
        }
        default -> { }
      }
    }

    private void drain() {
      long n = inReader.readAvail();
      if (n > 0) {
        byte[] b = new byte[(int) n];
        inReader.read(b, 0, b.length);
        parser.feed(b, 0, b.length);
        read.reenable();
      }
      int finals = parser.finalResponses().size();
      if (finals > answered) {
        answered = finals;
        HttpWire.Response last = parser.finalResponses().get(finals - 1);
        if (answered < REQUESTS && last.status() == 200 && !last.closes()) {
          round.loop.schedule(this::sendLaterNext, Duration.ofNanos(random.nextLong(4_000_000)));
        }
      }
    }

    private void sendLaterNext() {
      cont.lock().lock();
      try {
        if (!closed && !ended) {
          sendNext();
        }
      } finally {
        cont.lock().unlock();
      }
    }

    void judge() {
      List<String> v = round.violations;
      String who = "client " + number;
      if (parser.violation() != null) {
        v.add(who + ": malformed responses: " + parser.violation());
      }
      List<HttpWire.Response> finals = parser.finalResponses();
      for (int i = 0; i < finals.size(); i++) {
        HttpWire.Response r = finals.get(i);
        String what = methods.get(i) + " " + targets.get(i);
        if (r.status() == 502 && methods.get(i).equals("POST")) {
          continue; // its body may have reached the origin on a connection that then closed: never sent twice
        }
        if (r.status() != 200) {
          v.add(who + ": " + what + " got " + r.status() + " " + r.reason());
        } else if (!methods.get(i).equals("HEAD") && !r.bodyText().equals("ok " + what)) {
          v.add(who + ": " + what + " got someone else's response: " + r.bodyText());
        }
      }
      boolean stoppedByPost502 = !finals.isEmpty() && finals.get(finals.size() - 1).status() == 502;
      if (finals.size() != REQUESTS && !stoppedByPost502) {
        v.add(who + ": " + finals.size() + " responses to " + REQUESTS + " requests");
      }
    }

    void close() {
      cont.lock().lock();
      try {
        if (!closed) {
          closed = true;
          vconn.close();
          out.close();
          in.close();
        }
      } finally {
        cont.lock().unlock();
      }
    }
  }

  /**
   * An HTTP/1.1 origin that answers {@code ok <method> <target>} with a Content-Length and, after a response, often
   * closes the connection: at once or after a random pause, but only while it has no request to answer, and never
   * with {@code Connection: close}.
   */
  static final class QuietCloseOrigin {
    final BlockPool pool;
    final VirtualTimeEventLoop loop;
    final SplittableRandom random;
    final Continuation acceptor = new Continuation(this::onAccept);
    final List<Conn> conns = new ArrayList<>();
    final List<String> requests = new ArrayList<>();
    final List<String> failures = new ArrayList<>();
    int accepted;
    int quietCloses;
    /** Connections on which request bytes arrived after the origin had sent its FIN. */
    int crossed;

    QuietCloseOrigin(BlockPool pool, VirtualTimeEventLoop loop, SplittableRandom random) {
      this.pool = pool;
      this.loop = loop;
      this.random = random;
    }

    private void onAccept(Event event, Object data) {
      if (event == Event.NET_ACCEPT && data instanceof VConn vc) {
        accepted++;
        Conn c = new Conn(vc);
        conns.add(c);
        c.start();
      }
    }

    void judge(List<String> v) {
      Map<String, Integer> seen = new HashMap<>();
      requests.forEach(r -> seen.merge(r, 1, Integer::sum));
      seen.forEach((r, n) -> {
        if (n > 1 && r.startsWith("POST ")) {
          v.add("the origin received " + r + " " + n + " times");
        }
      });
      failures.forEach(f -> v.add("origin: " + f));
    }

    void closeAll() {
      List.copyOf(conns).forEach(Conn::close);
    }

    final class Conn {
      final VConn vconn;
      final Continuation cont = new Continuation(this::handle);
      final IOBuffer in = new IOBuffer(pool);
      final IOBufferReader inReader = in.allocReader();
      final IOBuffer out = new IOBuffer(pool);
      final IOBufferReader outReader = out.allocReader();
      final HttpHeadParser parser = new HttpHeadParser();
      ReadVio read;
      WriteVio write;
      HttpRequestHead head;
      BodyDecoder body;
      boolean busy;
      boolean closed;
      boolean finSent;
      /** Counts requests; a pending close is dropped once another request arrived. */
      int generation;

      Conn(VConn vconn) {
        this.vconn = vconn;
      }

      void start() {
        cont.lock().lock();
        try {
          read = vconn.read(cont, Long.MAX_VALUE, in);
        } finally {
          cont.lock().unlock();
        }
      }

      private void handle(Event event, Object data) {
        if (closed || !(data instanceof VIO)) {
          return;
        }
        switch (event) {
          case READ_READY -> process();
          case WRITE_COMPLETE -> replied();
          case EOS, ERROR -> close();
          default -> { }
        }
      }

      private void process() {
        if (finSent) {
          if (inReader.readAvail() > 0) {
            crossed++; // a request crossed our FIN: it is not answered, the proxy must send it again elsewhere
            finSent = false; // count each connection once
            close();
          }
          return;
        }
        while (!busy && !closed) {
          if (head == null) {
            HttpHeadParser.Result<HttpRequestHead> r = parser.parseRequest(inReader);
            if (!(r instanceof HttpHeadParser.Parsed<HttpRequestHead> parsed)) {
              if (r instanceof HttpHeadParser.Rejected<HttpRequestHead> rejected) {
                failures.add("the proxy sent a bad request: " + rejected.reason());
                close();
              }
              break;
            }
            head = parsed.head();
            generation++;
            try {
              body = BodyDecoder.forRequest(head.headers(), 65536);
            } catch (BadMessageException e) {
              failures.add("the proxy sent bad framing: " + e.getMessage());
              close();
              return;
            }
          }
          try {
            body.decode(inReader, new Discard());
          } catch (BadMessageException e) {
            failures.add("the proxy sent a bad body: " + e.getMessage());
            close();
            return;
          }
          if (!body.isDone()) {
            break;
          }
          String what = head.method() + " " + head.target();
          requests.add(what);
          String text = "ok " + what;
          boolean bodyless = head.method().equals("HEAD");
          head = null;
          busy = true;
          out.write(HttpWire.bytes("HTTP/1.1 200 OK\r\nContent-Length: " + text.length() + "\r\n\r\n"
              + (bodyless ? "" : text)));
          write = vconn.write(cont, outReader.readAvail(), outReader);
        }
        if (!closed) {
          read.reenable();
        }
      }

      private void replied() {
        busy = false;
        int r = random.nextInt(10);
        if (r < 3) {
          quietClose(); // right after the response: the FIN may cross the next request
        } else if (r < 6) {
          int gen = generation;
          loop.schedule(() -> {
            cont.lock().lock();
            try {
              if (!busy && !closed && generation == gen) {
                quietClose();
              }
            } finally {
              cont.lock().unlock();
            }
          }, Duration.ofNanos(random.nextLong(5_000_000)));
        }
        process(); // a request that arrived meanwhile
      }

      /** Closes without a word: a full close, or a FIN after which it still reads (and counts) what comes. */
      private void quietClose() {
        if (!closed && !finSent) {
          quietCloses++;
          if (random.nextBoolean()) {
            close();
          } else {
            finSent = true;
            vconn.shutdown(ShutdownHow.WRITE);
            read.reenable();
          }
        }
      }

      void close() {
        cont.lock().lock();
        try {
          if (!closed) {
            closed = true;
            vconn.close();
            in.close();
            out.close();
          }
        } finally {
          cont.lock().unlock();
        }
      }
    }
  }

  /** Drops a request body. */
  static final class Discard implements BodyDecoder.Target {
    @Override
    public long space() {
      return Long.MAX_VALUE;
    }

    @Override
    public void write(IOBufferReader from, long n) {
      from.consume(n);
    }
  }
}
