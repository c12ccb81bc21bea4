package dev.vconn.inmemory.http2;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.http.AccessLogRecord;
import dev.vconn.domain.http2.Http2Config;
import dev.vconn.domain.http2.Http2ErrorCode;
import dev.vconn.domain.http2.Http2Frame;
import dev.vconn.domain.http2.hpack.HpackEncoder;
import dev.vconn.inmemory.FaultPlan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The HTTP/2 fuzz test: random and mutated frame sequences ({@link Http2FuzzCase}, seeded and replayable) against
 * {@code Http2ServerSession}s with a real proxy behind them, {@value #CONNECTIONS} connections at a time on one
 * in-memory transport and virtual clock, half of them with fragmenting fault plans. Invariants:
 * <ul>
 *   <li>no exception escapes into the loop, and the session never ends a connection with GOAWAY INTERNAL_ERROR
 *       (what a session shows when it caught its own exception);</li>
 *   <li>whatever the server sends parses with the domain's frame parser and HPACK decoder;</li>
 *   <li>an unmutated case gets every response complete and byte-exact;</li>
 *   <li>a connection still open after the sequence answers a fresh request on a new stream (with HEADERS or
 *       RST_STREAM) or ends; after the client's EOS or close, the session ends the connection;</li>
 *   <li>every access-log record of a stream carries {@code pitag=h2}, its connection's {@code piid}, {@code cqint=1};
 *       </li>
 *   <li>after the round, every session completed {@code closed()}, no block of the pool is out, no VConn, pair or
 *       socket is open, the proxy has no session.</li>
 * </ul>
 * {@code -Dvconn.h2fuzz.seed=N} replays the round holding seed N and prints that case's frames and what came back;
 * {@code -Dvconn.h2fuzz.count=M} runs M seeds (default {@value #DEFAULT_COUNT}) from {@code -Dvconn.h2fuzz.base}.
 */
class Http2FuzzTest {
  static final long BASE_SEED = 0x4832_0000L;
  static final int DEFAULT_COUNT = 300;
  static final int CONNECTIONS = 10;
  static final String REPLAY = "./mvnw -B -pl adapters-inmemory -am test -Dtest=Http2FuzzTest "
      + "-Dsurefire.failIfNoSpecifiedTests=false -Dvconn.h2fuzz.seed=";

  /** What one round found. */
  record Result(long firstSeed, List<String> problems, int mutated, int unmutated, int goAways, int probesAnswered) {
    boolean ok() {
      return problems.isEmpty();
    }
  }

  @Test
  void random_and_mutated_frame_sequences_leave_no_exception_no_leak_and_consistent_connections() {
    long base = Long.getLong("vconn.h2fuzz.base", BASE_SEED);
    Long only = Long.getLong("vconn.h2fuzz.seed");
    if (only != null) {
      long round = Math.floorDiv(only - base, CONNECTIONS);
      Result r = run(base + round * CONNECTIONS, false, only);
      if (!r.ok()) {
        fail(report(r));
      }
      return;
    }
    int count = Integer.getInteger("vconn.h2fuzz.count", DEFAULT_COUNT);
    List<Result> bad = new ArrayList<>();
    int mutated = 0;
    int unmutated = 0;
    int goAways = 0;
    int probes = 0;
    long started = System.nanoTime();
    for (long first = base; first < base + count && bad.size() < 3; first += CONNECTIONS) {
      Result r = run(first, false, -1);
      mutated += r.mutated();
      unmutated += r.unmutated();
      goAways += r.goAways();
      probes += r.probesAnswered();
      if (!r.ok()) {
        bad.add(r);
      }
    }
    System.out.printf("vconn h2 fuzz: %d seeds from %d in %d ms: %d mutated, %d unmutated, %d connections ended by "
        + "GOAWAY, %d probes answered%n", count, base, (System.nanoTime() - started) / 1_000_000, mutated, unmutated,
        goAways, probes);
    if (!bad.isEmpty()) {
      fail(report(bad.get(0)) + "\n" + bad.size() + " bad round(s) (the run stops at 3)");
    }
    assertTrue(mutated > count / 2 && unmutated > count / 10, "the generator no longer mixes valid and mutated cases");
    assertTrue(goAways > 0, "no case provoked a GOAWAY: the mutations no longer reach the session's checks");
  }

  @Test
  void a_planted_leak_fails_a_fuzz_round() {
    Result control = run(BASE_SEED, false, -1);
    assertTrue(control.ok(), () -> "the round without a plant must pass: " + report(control));
    Result planted = run(BASE_SEED, true, -1);
    assertFalse(planted.ok(), "an in-process connection never closed went unnoticed");
  }

  static String report(Result r) {
    StringBuilder sb = new StringBuilder("h2 fuzz round of seeds ").append(r.firstSeed()).append("..")
        .append(r.firstSeed() + CONNECTIONS - 1).append(" failed:");
    for (String p : r.problems().subList(0, Math.min(5, r.problems().size()))) {
      sb.append("\n  ").append(p);
    }
    if (r.problems().size() > 5) {
      sb.append("\n  ").append(r.problems().size() - 5).append(" more");
    }
    return sb.toString();
  }

  /** Runs the round of seeds {@code first .. first + CONNECTIONS - 1}; prints seed {@code traced} in full. */
  static Result run(long first, boolean plantLeak, long traced) {
    BlockPool pool = new BlockPool();
    Http2Harness h = new Http2Harness(pool);
    h.plantLeak = plantLeak;
    List<String> problems = new ArrayList<>();
    List<Http2Harness.Conn> conns = new ArrayList<>();
    List<Http2FuzzCase> cases = new ArrayList<>();
    int goAways = 0;
    int probesAnswered = 0;
    try {
      for (int i = 0; i < CONNECTIONS; i++) {
        long seed = first + i;
        FaultPlan faults = seed % 2 == 0 ? FaultPlan.NONE : FaultPlan.builder(seed).fragmentation(true).build();
        Http2Harness.Conn c = h.open(Http2Config.defaults(), seed, faults, faults);
        // Mutated SETTINGS may allow larger frames and tables; the kit must not call them malformed.
        c.kit.setMaxFrameSize(16_777_215);
        c.autoWindow();
        conns.add(c);
        cases.add(new Http2FuzzCase(seed, c.kit));
      }
      List<List<byte[]>> slices = cases.stream().map(Http2FuzzCase::slices).toList();
      int most = slices.stream().mapToInt(List::size).max().orElse(0);
      for (int k = 0; k < most; k++) {
        for (int i = 0; i < CONNECTIONS; i++) {
          if (k < slices.get(i).size()) {
            conns.get(i).sendSlice(slices.get(i).get(k), k == slices.get(i).size() - 1);
          }
        }
        h.settle();
      }
      h.settle();
      h.settle();

      for (int i = 0; i < CONNECTIONS; i++) {
        Http2FuzzCase fc = cases.get(i);
        Http2Harness.Conn c = conns.get(i);
        String who = "seed " + fc.seed + " (" + fc.describe() + ")";
        if (!fc.mutated()) {
          for (Http2FuzzCase.Expect e : fc.expected) {
            Http2ClientKit.StreamSeen s = c.kit.stream(e.streamId());
            if (s.status() != 200 || !s.endStream || !Arrays.equals(e.body(), s.body.toByteArray())) {
              problems.add(who + ": stream " + e.streamId() + " expected 200 with " + e.body().length
                  + " octets, got " + s + replay(fc, c));
            }
          }
          List<Long> acks = c.kit.frames(Http2Frame.Ping.class).stream().filter(Http2Frame.Ping::ack)
              .map(Http2Frame.Ping::opaqueData).toList();
          if (!acks.equals(fc.pings)) {
            problems.add(who + ": PING ACKs " + acks + " for PINGs " + fc.pings + replay(fc, c));
          }
          // After the client's GOAWAY the server may close gracefully once the streams are done (RFC 9113, 6.8).
          boolean graceful = fc.clientGoAway && (c.kit.goAways().isEmpty()
              || c.kit.goAwayCode() == Http2ErrorCode.NO_ERROR);
          if ((!c.kit.goAways().isEmpty() || c.ended()) && !graceful) {
            problems.add(who + ": a valid exchange ended the connection" + replay(fc, c));
          }
        }
        // The probe: a request on a fresh stream, encoded without the dynamic table (a size update to 0 first), so
        // it means the same whatever the mutations did to the server's table.
        int probe = probeStream(fc);
        if (!c.ended() && c.kit.goAways().isEmpty() && probe > 0) {
          HpackEncoder plain = new HpackEncoder();
          plain.setMaxTableSize(0);
          c.send(Http2ClientKit.headerFrames(probe, true, plain.encode(Http2ClientKit.request("GET", "/i/hello")),
              Http2ClientKit.DEFAULT_MAX_FRAME));
        }
      }
      h.settle();
      h.settle();
      for (int i = 0; i < CONNECTIONS; i++) {
        Http2FuzzCase fc = cases.get(i);
        Http2Harness.Conn c = conns.get(i);
        int probe = probeStream(fc);
        Http2ClientKit.StreamSeen p = c.kit.stream(probe);
        boolean answered = !p.blocks.isEmpty() || p.reset != null;
        probesAnswered += answered ? 1 : 0;
        if (!fc.mutated() && !fc.clientGoAway && probe > 0 && p.status() != 200) {
          problems.add("seed " + fc.seed + ": the probe after a valid exchange was not served: " + p
              + replay(fc, c));
        }
      }
      // Quiet for 100 s (below the idle timeout): the proxy ends idle keep-alive connections after its own idle
      // time, so every in-process connection still open must belong to a stream still open.
      h.advance(Duration.ofSeconds(100));
      for (int i = 0; i < CONNECTIONS; i++) {
        Http2FuzzCase fc = cases.get(i);
        Http2Harness.Conn c = conns.get(i);
        if (!c.ended()) {
          long pairs = h.transport.openResources().stream().filter(o -> o.kind().equals("pair")
              && o.description().startsWith("tag=h2 id=" + c.connectionId + " ")).count();
          if (pairs > c.session.openStreams()) {
            problems.add("seed " + fc.seed + ": " + pairs + " in-process connections open for "
                + c.session.openStreams() + " open stream(s) after 100 s" + replay(fc, c));
          }
        }
        if (fc.clientCloses) {
          c.close();
        } else if (!c.closed) {
          c.vconn.shutdown(ShutdownHow.WRITE);
        }
      }
      // Every session must end once its client is gone or done sending, whatever it was waiting for.
      h.advance(Duration.ofSeconds(200));
      for (int i = 0; i < CONNECTIONS; i++) {
        Http2FuzzCase fc = cases.get(i);
        Http2Harness.Conn c = conns.get(i);
        goAways += c.kit.goAways().isEmpty() ? 0 : 1;
        if (c.kit.violation() != null) {
          problems.add("seed " + fc.seed + ": " + c.kit.violation() + replay(fc, c));
        }
        if (c.failure != null) {
          problems.add("seed " + fc.seed + ": client: " + c.failure + replay(fc, c));
        }
        if (c.kit.goAwayCode() == Http2ErrorCode.INTERNAL_ERROR) {
          problems.add("seed " + fc.seed + ": GOAWAY INTERNAL_ERROR (the session failed inside)" + replay(fc, c));
        }
        if (!c.closed && !c.ended()) {
          problems.add("seed " + fc.seed + ": the session never ended the connection after the client's EOS"
              + replay(fc, c));
        }
        if (!c.session.closed().isDone()) {
          problems.add("seed " + fc.seed + ": closed() never completed" + replay(fc, c));
        }
        if (fc.seed == traced) {
          System.out.println("vconn h2 fuzz, " + fc.describe() + fc.dump() + "\n  " + c.describe());
        }
      }
      for (AccessLogRecord rec : h.log) {
        boolean ours = conns.stream().anyMatch(c -> c.connectionId == rec.pluginId());
        if (!"h2".equals(rec.pluginTag()) || !ours || !rec.internal()) {
          problems.add("access-log record not tagged as a stream of one of the round's connections: "
              + rec.toLogLine());
        }
      }
    } catch (RuntimeException | AssertionError e) {
      java.io.StringWriter w = new java.io.StringWriter();
      e.printStackTrace(new java.io.PrintWriter(w));
      problems.add("an exception escaped into the event loop: " + w);
    } finally {
      try {
        h.close();
        problems.addAll(h.leftBehind());
      } catch (RuntimeException e) {
        problems.add("cleaning up threw " + e);
      }
      h.shutdownTransport();
    }
    int mutated = (int) cases.stream().filter(Http2FuzzCase::mutated).count();
    return new Result(first, problems, mutated, cases.size() - mutated, goAways, probesAnswered);
  }

  private static String replay(Http2FuzzCase fc, Http2Harness.Conn c) {
    return "\n    " + fc.describe() + "\n    received: " + c.describe() + "\n    replay: " + REPLAY + fc.seed;
  }

  /** An odd stream above every stream id the case's frames name, or 0 if there is none. */
  private static int probeStream(Http2FuzzCase fc) {
    long highest = 0;
    for (byte[] f : fc.frames) {
      if (f.length >= 9) {
        long id = ((f[5] & 0x7fL) << 24) | ((f[6] & 0xffL) << 16) | ((f[7] & 0xffL) << 8) | (f[8] & 0xffL);
        highest = Math.max(highest, id);
      }
    }
    long probe = (highest | 1) + 2;
    return probe > Integer.MAX_VALUE ? 0 : (int) probe;
  }
}
