package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.BlockPool;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An intercept's inactivity timeout runs on the client session's slot (docs/http.md, Object lifetimes), on the
 * virtual clock: it still fires when an intercept stalls before its response or in the middle of its body, exactly
 * one inactivity timeout after the intercept last moved bytes, never while it keeps sending, and keep-alive
 * intercepted transactions schedule no timer of their own.
 */
class InterceptInactivityTest {
  static final Duration INACTIVITY = Duration.ofSeconds(5);
  static final String GET = "GET /x HTTP/1.1\r\nHost: x.test\r\n\r\n";

  /** An intercept the test drives: it reads the request and sends what the test tells it to, when it does. */
  static final class ManualIntercept {
    final Continuation cont = new Continuation(this::handle);
    final BlockPool pool;
    final String answerAtOnce;
    final List<String> events = new ArrayList<>();
    InterceptEnd end;
    WriteVio write;
    boolean closed;

    ManualIntercept(BlockPool pool, String answerAtOnce) {
      this.pool = pool;
      this.answerAtOnce = answerAtOnce;
    }

    private void handle(Event event, Object data) {
      events.add(event.name());
      switch (event) {
        case NET_ACCEPT -> {
          end = new InterceptEnd(data, pool, cont);
          write = end.vconn.write(cont, Long.MAX_VALUE, end.out.allocReader());
          if (answerAtOnce != null) {
            send(answerAtOnce);
          }
        }
        case READ_READY -> end.inReader.consume(end.inReader.readAvail());
        case EOS, ERROR -> close();
        default -> { }
      }
    }

    /** Sends {@code text} (the loop moves it on its next run). */
    void send(String text) {
      end.out.write(text.getBytes(StandardCharsets.ISO_8859_1));
      write.reenable();
    }

    void close() {
      if (end != null) {
        closed = true;
        end.close();
      }
    }
  }

  private static final class Setup implements AutoCloseable {
    final Deque<ManualIntercept> next = new ArrayDeque<>();
    final List<ManualIntercept> used = new ArrayList<>();
    final HttpRig rig;

    Setup() {
      Continuation hook = new Continuation((event, data) -> {
        HttpTxn txn = (HttpTxn) data;
        ManualIntercept i = next.removeFirst();
        used.add(i);
        txn.intercept(i.cont);
        txn.reenable();
      });
      rig = new HttpRig(b -> b.timeouts(HttpTimeouts.defaults().withInactivity(INACTIVITY)
          .withResponse(Duration.ofSeconds(60))).hooks(HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, hook)
          .build()));
    }

    ManualIntercept intercept(String answerAtOnce) {
      ManualIntercept i = new ManualIntercept(rig.pool, answerAtOnce);
      next.addLast(i);
      return i;
    }

    @Override
    public void close() {
      used.forEach(ManualIntercept::close);
      rig.close();
    }
  }

  private static String ok(String body) {
    return "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
  }

  @Test
  void an_intercept_that_never_answers_gets_504_one_inactivity_timeout_after_the_request() {
    try (Setup s = new Setup()) {
      HttpRig.Client c = s.rig.client();
      s.intercept(ok("first"));
      c.send(GET);
      s.rig.run();
      assertEquals("first", c.response().body(), "the session's first intercepted transaction");
      ManualIntercept silent = s.intercept(null);
      c.send(GET);
      s.rig.run();
      s.rig.advance(INACTIVITY.minusMillis(1));
      s.rig.run();
      assertEquals(1, c.responses().size(), "not yet due");
      s.rig.advance(Duration.ofMillis(1));
      s.rig.run();
      assertEquals(504, c.responses().get(1).status());
      assertTrue(silent.closed, "the proxy closed its end: the intercept saw it");
      s.intercept(ok("after"));
      c.send(GET);
      s.rig.run();
      assertEquals("after", c.responses().get(2).body(), "the session goes on with the next intercept");
    }
  }

  @Test
  void an_intercept_that_stalls_in_the_middle_of_its_body_is_cut_off_after_the_inactivity_timeout() {
    try (Setup s = new Setup()) {
      HttpRig.Client c = s.rig.client();
      ManualIntercept stalling = s.intercept("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf");
      c.send(GET);
      s.rig.run();
      assertTrue(c.received().endsWith("half"), c.received());
      s.rig.advance(INACTIVITY.minusMillis(1));
      s.rig.run();
      assertFalse(c.eos, "not yet due");
      s.rig.advance(Duration.ofMillis(1));
      s.rig.run();
      assertTrue(c.eos, "the response cannot end: the client connection closes");
      assertTrue(stalling.closed);
    }
  }

  @Test
  void an_intercept_that_keeps_sending_is_timed_from_its_last_byte() {
    try (Setup s = new Setup()) {
      HttpRig.Client c = s.rig.client();
      ManualIntercept slow = s.intercept("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n");
      c.send(GET);
      s.rig.run();
      for (String piece : List.of("a", "b", "c")) {
        s.rig.advance(INACTIVITY.minusSeconds(1)); // 4 s between pieces: 12 s in all, more than the timeout
        slow.send(piece);
        s.rig.run();
      }
      assertFalse(c.eos);
      assertTrue(c.received().endsWith("abc"), c.received());
      s.rig.advance(INACTIVITY.minusMillis(1));
      s.rig.run();
      assertFalse(c.eos, "due one inactivity timeout after the last byte, not before");
      s.rig.advance(Duration.ofMillis(1));
      s.rig.run();
      assertTrue(c.eos);
    }
  }

  @Test
  void an_intercept_that_switched_protocols_is_timed_by_its_tunnel_not_by_the_transaction() {
    try (Setup s = new Setup()) {
      HttpRig.Client c = s.rig.client();
      ManualIntercept upgraded = s.intercept(
          "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: chat\r\n\r\n");
      c.send("GET /chat HTTP/1.1\r\nHost: x.test\r\nConnection: upgrade\r\nUpgrade: chat\r\n\r\n");
      s.rig.run();
      assertTrue(c.received().startsWith("HTTP/1.1 101 "), c.received());
      for (String piece : List.of("a", "b", "c")) {
        s.rig.advance(INACTIVITY.minusSeconds(1)); // the tunnel carries bytes every 4 s: 12 s in all
        upgraded.send(piece);
        s.rig.run();
      }
      assertFalse(c.eos, "a tunnel that carries bytes stays up");
      assertTrue(c.received().endsWith("abc"), c.received());
      assertFalse(upgraded.closed);
      s.rig.advance(INACTIVITY);
      s.rig.run();
      assertTrue(c.eos, "the tunnel's own inactivity timeout ends it");
    }
  }

  @Test
  void keep_alive_intercepted_transactions_schedule_no_timer() {
    try (Setup s = new Setup()) {
      HttpRig.Client c = s.rig.client();
      for (int i = 0; i < 2; i++) { // warm-up: the session's timers exist after these
        s.intercept(ok("w" + i));
        c.send(GET);
        s.rig.run();
      }
      long before = s.rig.loop.timersScheduled();
      for (int i = 0; i < 20; i++) {
        ManualIntercept answering = s.intercept(ok("r" + i));
        c.send(GET);
        s.rig.run();
        answering.close();
        s.rig.run();
      }
      assertEquals(22, c.responses().size());
      assertEquals("r19", c.responses().get(21).body());
      assertEquals(0, s.rig.loop.timersScheduled() - before, "timers scheduled by 20 intercepted transactions");
    }
  }
}
