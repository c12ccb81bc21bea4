package dev.vconn.domain.http;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.ScheduledAction;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.VIO;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The active health checks of one {@link UpstreamGroup}: every interval, on one event loop's timers, a
 * {@code GET path HTTP/1.1} (Host: the group's name, {@code Connection: close}) goes to each member through the
 * proxy's origin connector; the member passes if the status line arrives within the interval and carries the
 * expected status. Nothing blocks or sleeps: connects, reads and timers are events under one lock.
 */
final class UpstreamHealthChecks {
  private final UpstreamGroup group;
  private final UpstreamGroup.HealthCheck check;
  private final EventLoop loop;
  private final OriginConnector connector;
  private final BlockPool pool;
  private final HttpHeadParser parser;
  private final Duration connectTimeout;
  private final ReentrantLock lock = new ReentrantLock();
  private final List<Probe> inFlight = new ArrayList<>();
  private final Continuation roundCont;
  private ScheduledAction nextRound;
  private boolean stopped;

  UpstreamHealthChecks(UpstreamGroup group, EventLoop loop, OriginConnector connector, BlockPool pool,
      HttpLimits limits, Duration connectTimeout) {
    this.group = group;
    this.check = group.check().orElseThrow();
    this.loop = loop;
    this.connector = connector;
    this.pool = pool;
    this.parser = new HttpHeadParser(limits);
    this.connectTimeout = connectTimeout.compareTo(check.interval()) < 0 ? connectTimeout : check.interval();
    this.roundCont = new Continuation((event, data) -> round(), lock);
  }

  /** Checks every member now, then every interval. */
  void start() {
    lock.lock();
    try {
      nextRound = ContinuationScheduler.dispatch(loop, roundCont, Event.IMMEDIATE, null);
    } finally {
      lock.unlock();
    }
  }

  /** Stops the checks and closes those in flight (their members keep their last result). Idempotent. */
  void stop() {
    lock.lock();
    try {
      stopped = true;
      if (nextRound != null) {
        nextRound.cancel();
        nextRound = null;
      }
      for (Probe p : List.copyOf(inFlight)) {
        p.finish(null, false);
      }
    } finally {
      lock.unlock();
    }
  }

  private void round() {
    if (stopped) {
      return;
    }
    for (UpstreamGroup.Member m : group.memberList()) {
      if (inFlight.stream().noneMatch(p -> p.member == m)) { // a probe still running has until its timeout
        Probe p = new Probe(m);
        inFlight.add(p);
        p.start();
      }
    }
    nextRound = ContinuationScheduler.schedule(loop, roundCont, Event.IMMEDIATE, null, check.interval());
  }

  /** One check of one member. */
  private final class Probe {
    final UpstreamGroup.Member member;
    final Continuation cont = new Continuation(this::onEvent, lock);
    ScheduledAction connecting;
    ScheduledAction timer;
    VConn vconn;
    ReadVio read;
    IOBuffer out;
    IOBuffer in;
    IOBufferReader inReader;
    boolean done;

    Probe(UpstreamGroup.Member member) {
      this.member = member;
    }

    void start() {
      UpstreamGroup.Origin o = member.origin;
      timer = ContinuationScheduler.schedule(loop, cont, Event.TIMEOUT, this, check.interval());
      connecting = connector.connect(cont, o.host(), o.port(), o.tls(), connectTimeout);
    }

    private void onEvent(Event event, Object data) {
      if (done) {
        if (event == Event.NET_CONNECT && data instanceof VConn late) {
          late.close();
        }
        return;
      }
      switch (event) {
        case NET_CONNECT -> connected((VConn) data);
        case NET_CONNECT_FAILED -> finish("connect failed: "
            + HttpSM.describe(data instanceof VConnError e ? e : null), true);
        case TIMEOUT -> finish("no status line within " + check.interval().toMillis() + " ms", true);
        case READ_READY, EOS -> {
          if (data instanceof VIO vio && vio == read) {
            readStatus(event == Event.EOS);
          }
        }
        case ERROR -> finish("connection failed: " + HttpSM.describe(vconn.error()), true);
        default -> { }
      }
    }

    private void connected(VConn made) {
      connecting = null;
      vconn = made;
      out = new IOBuffer(pool);
      in = new IOBuffer(pool);
      inReader = in.allocReader();
      out.write(("GET " + check.path() + " HTTP/1.1\r\nHost: " + group.name()
          + "\r\nUser-Agent: vconn-health-check\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      read = vconn.read(cont, Long.MAX_VALUE, in);
      vconn.write(cont, Long.MAX_VALUE, out.allocReader());
    }

    private void readStatus(boolean eos) {
      HttpHeadParser.Result<HttpResponseHead> r = parser.parseResponse(inReader);
      if (r instanceof HttpHeadParser.Parsed<HttpResponseHead> parsed) {
        int status = parsed.head().status();
        finish(status == check.expectedStatus() ? null
            : "status " + status + ", expected " + check.expectedStatus(), true);
      } else if (r instanceof HttpHeadParser.Rejected<HttpResponseHead> rejected) {
        finish("bad response: " + rejected.reason(), true);
      } else if (eos) {
        finish("connection closed before a status line", true);
      } else {
        read.reenable();
      }
    }

    /** Frees what the probe holds and, if {@code report}, records the result (null: passed). Under the lock. */
    void finish(String failure, boolean report) {
      if (done) {
        return;
      }
      done = true;
      inFlight.remove(this);
      if (timer != null) {
        timer.cancel();
      }
      if (connecting != null) {
        connecting.cancel();
      }
      if (vconn != null) {
        vconn.close();
      }
      if (out != null) {
        out.close();
        in.close();
      }
      if (report && !stopped) {
        group.checked(member, failure);
      }
    }
  }
}
