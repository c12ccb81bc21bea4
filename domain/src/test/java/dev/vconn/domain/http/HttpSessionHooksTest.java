package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The session hooks SSN_START and SSN_CLOSE (docs/http.md, "Hooks"): their place in the order of all hooks, holding a
 * new session before its first request, closing it with an error, and SSN_CLOSE once at every end of a session.
 */
class HttpSessionHooksTest {
  static final String ORIGIN = HttpHooksTest.ORIGIN;
  static final String OK = HttpHooksTest.OK;
  static final String GET = HttpHooksTest.GET;

  /** Records the session hooks (and TXN_CLOSE, to check what comes before SSN_CLOSE) into {@code trace}. */
  static HttpHooks.Builder tracing(List<String> trace) {
    return HttpHooks.builder()
        .add(HttpHookId.TXN_CLOSE, HttpHooksTest.hook(txn -> trace.add("TXN_CLOSE " + txn.status())))
        .add(HttpHookId.SSN_CLOSE, ssnHook(ssn -> trace.add("SSN_CLOSE " + ssn.id())));
  }

  /** A session hook continuation that runs {@code body} with the session and then reenables it. */
  static Continuation ssnHook(Consumer<HttpSsn> body) {
    return new Continuation((event, data) -> {
      HttpSsn ssn = (HttpSsn) data;
      body.accept(ssn);
      ssn.reenable();
    });
  }

  /** A session hook continuation that keeps the session for the test to reenable. */
  static Continuation holdingSsn(AtomicReference<HttpSsn> held) {
    return new Continuation((event, data) -> held.set((HttpSsn) data));
  }

  @Test
  void event_codes_are_traffic_servers() {
    // TS_EVENT_HTTP_SSN_START .. TS_EVENT_HTTP_POST_REMAP in Traffic Server's apidefs.h.
    assertEquals(60013, HttpHookId.SSN_START.event().code());
    assertEquals(60014, HttpHookId.SSN_CLOSE.event().code());
    assertEquals(60016, HttpHookId.PRE_REMAP.event().code());
    assertEquals(60017, HttpHookId.POST_REMAP.event().code());
    assertSame(Event.HTTP_PRE_REMAP, Event.fromCode(60016));
    assertTrue(HttpHookId.SSN_START.isSessionHook());
    assertTrue(HttpHookId.SSN_CLOSE.isSessionHook());
    assertFalse(HttpHookId.PRE_REMAP.isSessionHook());
  }

  @Test
  void every_hook_runs_in_order_in_a_keep_alive_session_with_two_requests() {
    List<String> trace = new ArrayList<>();
    List<HttpSsn> sessions = new ArrayList<>();
    HttpHooks.Builder hooks = HttpHooks.builder();
    for (HttpHookId id : HttpHookId.values()) {
      hooks.add(id, new Continuation((event, data) -> {
        assertEquals(id.event(), event);
        if (id.isSessionHook()) {
          HttpSsn ssn = (HttpSsn) data;
          assertTrue(ssn.eventLoop().inEventLoop(), "session hooks run on the client connection's loop");
          sessions.add(ssn);
          trace.add(ssn.id() + " " + id + " " + ssn.pluginTag());
          ssn.reenable();
        } else {
          HttpTxn txn = (HttpTxn) data;
          assertSame(sessions.get(0), txn.session(), "the transaction's session is the one SSN_START saw");
          trace.add(txn.id() + " " + id + (txn.origin() == null ? "" : " " + txn.origin()));
          txn.reenable();
        }
      }));
    }
    try (HttpRig rig = HttpHooksTest.rig(hooks.build())) {
      TestOrigin origin = rig.origin(ORIGIN, req -> OK);
      HttpRig.Client c = rig.client();
      c.send(GET + GET.replace("/a", "/b"));
      rig.run();
      assertEquals(2, c.responses().size());
      assertEquals(2, origin.requests.size());
      assertFalse(trace.contains("1 SSN_CLOSE plugin"), "the session is still open");
      c.close();
      rig.run();
      String o = " " + ORIGIN;
      assertEquals(List.of("1 SSN_START plugin",
          "1 READ_REQUEST_HDR", "1 PRE_REMAP", "1 POST_REMAP" + o, "1 SEND_REQUEST_HDR" + o,
          "1 READ_RESPONSE_HDR" + o, "1 SEND_RESPONSE_HDR" + o, "1 TXN_CLOSE" + o,
          "2 READ_REQUEST_HDR", "2 PRE_REMAP", "2 POST_REMAP" + o, "2 SEND_REQUEST_HDR" + o,
          "2 READ_RESPONSE_HDR" + o, "2 SEND_RESPONSE_HDR" + o, "2 TXN_CLOSE" + o,
          "1 SSN_CLOSE plugin"), trace);
      assertSame(sessions.get(0), sessions.get(1), "SSN_CLOSE gets the session SSN_START got");
    }
  }

  @Test
  void a_held_ssn_start_reads_no_request_and_no_timeout_closes_the_session_until_it_reenables() {
    AtomicReference<HttpSsn> held = new AtomicReference<>();
    List<String> trace = new ArrayList<>();
    HttpHooks hooks = tracing(trace).add(HttpHookId.SSN_START, holdingSsn(held)).build();
    try (HttpRig rig = HttpHooksTest.rig(b -> b.hooks(hooks).timeouts(HttpTimeouts.defaults()
        .withHeader(Duration.ofSeconds(2)).withKeepAliveIdle(Duration.ofSeconds(3))))) {
      TestOrigin origin = rig.origin(ORIGIN, req -> OK);
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      assertNotNull(held.get(), "SSN_START ran for the new session");
      rig.advance(Duration.ofSeconds(60)); // the plugin takes its time (an external lookup, say)
      assertTrue(rig.connectAttempts.isEmpty(), "no request was read while SSN_START holds the session");
      assertTrue(origin.requests.isEmpty());
      assertEquals("", c.received());
      assertFalse(c.eos, "neither the header nor the keep-alive timeout runs while SSN_START holds");
      assertTrue(trace.isEmpty(), trace.toString());
      held.get().reenable();
      rig.run();
      assertEquals("ok", c.response().body());
      assertEquals(1, origin.requests.size());
      assertEquals(List.of("TXN_CLOSE 200"), trace);
    }
  }

  @Test
  void http_error_at_ssn_start_closes_the_connection_without_reading_a_request() {
    List<String> trace = new ArrayList<>();
    HttpHooks hooks = tracing(trace)
        .add(HttpHookId.SSN_START, new Continuation((event, data) -> ((HttpSsn) data).reenable(Event.HTTP_ERROR)))
        .add(HttpHookId.READ_REQUEST_HDR, HttpHooksTest.hook(txn -> trace.add("READ_REQUEST_HDR")))
        .build();
    try (HttpRig rig = HttpHooksTest.rig(hooks)) {
      TestOrigin origin = rig.origin(ORIGIN, req -> OK);
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      assertTrue(c.eos, "the client connection is closed");
      assertEquals("", c.received(), "no response: no request was read");
      assertTrue(origin.requests.isEmpty());
      assertTrue(rig.connectAttempts.isEmpty());
      assertEquals(List.of("SSN_CLOSE 1"), trace, "no transaction ran; SSN_CLOSE still ends the session");
      assertEquals(0, rig.log.size(), "no transaction, no log record");
      assertEquals(0, rig.proxy.openSessions());
    }
  }

  @Test
  void an_ssn_start_hook_that_throws_closes_the_session_instead_of_holding_it() {
    List<String> trace = new ArrayList<>();
    HttpHooks hooks = tracing(trace).add(HttpHookId.SSN_START, new Continuation((event, data) -> {
      throw new IllegalStateException("plugin bug");
    })).build();
    try (HttpRig rig = HttpHooksTest.rig(hooks)) {
      TestOrigin origin = rig.origin(ORIGIN, req -> OK);
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      assertTrue(c.eos);
      assertTrue(origin.requests.isEmpty());
      assertEquals(List.of("SSN_CLOSE 1"), trace);
    }
  }

  @Test
  void ssn_close_runs_once_after_the_txn_close_of_a_client_that_resets_in_the_middle() {
    List<String> trace = new ArrayList<>();
    try (HttpRig rig = HttpHooksTest.rig(tracing(trace).build())) {
      TestOrigin origin = rig.origin(ORIGIN, req -> OK);
      origin.defer = true; // the origin has not answered when the client goes
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      assertEquals(1, origin.requests.size());
      c.vconn.abort(Errno.ECONNRESET, null);
      rig.run();
      assertEquals(List.of("TXN_CLOSE 0", "SSN_CLOSE 1"), trace);
      rig.advance(Duration.ofSeconds(60));
      assertEquals(List.of("TXN_CLOSE 0", "SSN_CLOSE 1"), trace, "once");
    }
  }

  @Test
  void ssn_close_runs_after_a_reset_between_requests() {
    List<String> trace = new ArrayList<>();
    try (HttpRig rig = HttpHooksTest.rig(tracing(trace).build())) {
      rig.origin(ORIGIN, req -> OK);
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      assertEquals("ok", c.response().body());
      c.vconn.abort(Errno.ECONNRESET, null);
      rig.run();
      assertEquals(List.of("TXN_CLOSE 200", "SSN_CLOSE 1"), trace);
    }
  }

  @Test
  void ssn_close_waits_for_a_txn_close_hook_that_holds_the_ended_transaction() {
    List<String> trace = new ArrayList<>();
    AtomicReference<HttpTxn> held = new AtomicReference<>();
    HttpHooks hooks = HttpHooks.builder()
        .add(HttpHookId.TXN_CLOSE, new Continuation((event, data) -> {
          trace.add("TXN_CLOSE");
          held.set((HttpTxn) data);
        }))
        .add(HttpHookId.SSN_CLOSE, ssnHook(ssn -> trace.add("SSN_CLOSE")))
        .build();
    try (HttpRig rig = HttpHooksTest.rig(hooks)) {
      TestOrigin origin = rig.origin(ORIGIN, req -> OK);
      origin.defer = true;
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      c.vconn.abort(Errno.ECONNRESET, null);
      rig.run();
      assertEquals(List.of("TXN_CLOSE"), trace, "SSN_CLOSE waits while TXN_CLOSE holds the last transaction");
      held.get().reenable();
      rig.run();
      assertEquals(List.of("TXN_CLOSE", "SSN_CLOSE"), trace);
    }
  }

  @Test
  void ssn_close_runs_after_the_408_of_a_header_timeout() {
    List<String> trace = new ArrayList<>();
    try (HttpRig rig = HttpHooksTest.rig(b -> b.hooks(tracing(trace).build())
        .timeouts(HttpTimeouts.defaults().withHeader(Duration.ofSeconds(2))))) {
      TestOrigin origin = rig.origin(ORIGIN, req -> OK);
      HttpRig.Client c = rig.client();
      c.send("GET /a HT");
      rig.run();
      rig.advance(Duration.ofSeconds(10)); // the header timeout, then the linger after the 408
      assertEquals(408, c.response().status());
      assertTrue(origin.requests.isEmpty());
      assertEquals(List.of("TXN_CLOSE 408", "SSN_CLOSE 1"), trace);
    }
  }

  @Test
  void a_denied_client_runs_no_session_hooks() {
    SocketAddress blocked = new InetSocketAddress("10.9.1.1", 5000);
    List<String> trace = new ArrayList<>();
    HttpHooks hooks = tracing(trace).add(HttpHookId.SSN_START, ssnHook(ssn -> trace.add("SSN_START"))).build();
    try (HttpRig rig = HttpHooksTest.rig(b -> b.hooks(hooks).accessControl(client -> client == blocked
        ? Optional.of("blocked") : Optional.empty()))) {
      rig.origin(ORIGIN, req -> OK);
      HttpRig.Client denied = rig.client("a", 1, blocked);
      rig.run();
      assertTrue(denied.eos);
      assertEquals(List.of(), trace, "access control decides before the session starts");
      HttpRig.Client allowed = rig.client();
      allowed.send(GET);
      rig.run();
      allowed.close();
      rig.run();
      assertEquals(List.of("SSN_START", "TXN_CLOSE 200", "SSN_CLOSE 2"), trace);
    }
  }

  @Test
  void a_session_closed_while_ssn_start_holds_it_reads_nothing_and_runs_ssn_close_after_the_reenable() {
    AtomicReference<HttpSsn> held = new AtomicReference<>();
    List<String> trace = new ArrayList<>();
    HttpHooks hooks = tracing(trace).add(HttpHookId.SSN_START, holdingSsn(held)).build();
    try (HttpRig rig = HttpHooksTest.rig(hooks)) {
      TestOrigin origin = rig.origin(ORIGIN, req -> OK);
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      rig.proxy.close(); // shutting down: every session closes now
      rig.run();
      assertTrue(c.eos);
      assertEquals(0, rig.proxy.openSessions());
      assertEquals(List.of(), trace, "SSN_CLOSE waits for the SSN_START hook that holds the session");
      held.get().reenable();
      rig.run();
      assertEquals(List.of("SSN_CLOSE 1"), trace);
      assertTrue(origin.requests.isEmpty());
    }
  }

  @Test
  void a_drain_while_ssn_start_holds_a_session_closes_it_as_an_idle_one_once_the_hook_reenables() {
    AtomicReference<HttpSsn> held = new AtomicReference<>();
    List<String> trace = new ArrayList<>();
    HttpHooks hooks = tracing(trace).add(HttpHookId.SSN_START, holdingSsn(held)).build();
    try (HttpRig rig = HttpHooksTest.rig(hooks)) {
      TestOrigin origin = rig.origin(ORIGIN, req -> OK);
      HttpRig.Client c = rig.client();
      rig.run();
      CompletableFuture<Void> drained = rig.proxy.drain();
      rig.run();
      assertFalse(drained.isDone(), "the drain waits for the plugin that holds the session");
      assertFalse(c.eos);
      held.get().reenable();
      rig.run();
      assertTrue(drained.isDone());
      assertTrue(c.eos, "no request read: closed like an idle connection");
      assertEquals(List.of("SSN_CLOSE 1"), trace);
      assertTrue(origin.requests.isEmpty());
    }
  }

  @Test
  void hooks_added_to_a_session_run_for_each_of_its_transactions_after_the_global_ones() {
    List<String> trace = new ArrayList<>();
    HttpHooks hooks = HttpHooks.builder()
        .add(HttpHookId.SSN_START, ssnHook(ssn -> {
          if (ssn.id() == 1) {
            ssn.addHook(HttpHookId.PRE_REMAP, HttpHooksTest.hook(txn -> trace.add(txn.id() + " session PRE_REMAP")));
            ssn.addHook(HttpHookId.SSN_CLOSE, ssnHook(s -> trace.add(s.id() + " session SSN_CLOSE")));
          }
        }))
        .add(HttpHookId.READ_REQUEST_HDR, HttpHooksTest.hook(txn -> txn.addHook(HttpHookId.PRE_REMAP,
            HttpHooksTest.hook(t -> trace.add(t.id() + " txn PRE_REMAP")))))
        .add(HttpHookId.PRE_REMAP, HttpHooksTest.hook(txn -> trace.add(txn.id() + " global PRE_REMAP")))
        .add(HttpHookId.SSN_CLOSE, ssnHook(s -> trace.add(s.id() + " global SSN_CLOSE")))
        .build();
    try (HttpRig rig = HttpHooksTest.rig(hooks)) {
      rig.origin(ORIGIN, req -> OK);
      HttpRig.Client first = rig.client();
      first.send(GET + GET);
      rig.run();
      first.close();
      rig.run();
      HttpRig.Client second = rig.client();
      second.send(GET);
      rig.run();
      second.close();
      rig.run();
      assertEquals(List.of(
          "1 global PRE_REMAP", "1 session PRE_REMAP", "1 txn PRE_REMAP",
          "2 global PRE_REMAP", "2 session PRE_REMAP", "2 txn PRE_REMAP",
          "1 global SSN_CLOSE", "1 session SSN_CLOSE",
          "3 global PRE_REMAP", "3 txn PRE_REMAP", "2 global SSN_CLOSE"), trace);
    }
  }

  @Test
  void a_session_hook_added_by_a_transaction_runs_from_that_transactions_next_hook_point_on_and_only_in_its_session() {
    List<String> trace = new ArrayList<>();
    HttpHooks hooks = HttpHooks.builder()
        .add(HttpHookId.READ_REQUEST_HDR, HttpHooksTest.hook(txn -> {
          if (txn.id() == 2) { // the second transaction of the first session: its session had no hook until now
            txn.session().addHook(HttpHookId.PRE_REMAP,
                HttpHooksTest.hook(t -> trace.add(t.id() + " session PRE_REMAP")));
          }
        }))
        .add(HttpHookId.PRE_REMAP, HttpHooksTest.hook(txn -> trace.add(txn.id() + " global PRE_REMAP")))
        .build();
    try (HttpRig rig = HttpHooksTest.rig(hooks)) {
      rig.origin(ORIGIN, req -> OK);
      HttpRig.Client first = rig.client();
      first.send(GET + GET + GET);
      rig.run();
      HttpRig.Client second = rig.client();
      second.send(GET);
      rig.run();
      assertEquals(List.of("1 global PRE_REMAP", "2 global PRE_REMAP", "2 session PRE_REMAP", "3 global PRE_REMAP",
          "3 session PRE_REMAP", "4 global PRE_REMAP"), trace);
      first.close();
      second.close();
      rig.run();
    }
  }

  @Test
  void session_hooks_cannot_be_added_where_they_cannot_run() {
    AtomicReference<RuntimeException> onSession = new AtomicReference<>();
    List<RuntimeException> onTxn = new ArrayList<>();
    Continuation any = HttpHooksTest.hook(txn -> { });
    HttpHooks hooks = HttpHooks.builder()
        .add(HttpHookId.SSN_START, ssnHook(ssn -> onSession.set(assertThrows(IllegalArgumentException.class,
            () -> ssn.addHook(HttpHookId.SSN_START, any)))))
        .add(HttpHookId.READ_REQUEST_HDR, HttpHooksTest.hook(txn -> {
          onTxn.add(assertThrows(IllegalArgumentException.class, () -> txn.addHook(HttpHookId.SSN_START, any)));
          onTxn.add(assertThrows(IllegalArgumentException.class, () -> txn.addHook(HttpHookId.SSN_CLOSE, any)));
        }))
        .build();
    try (HttpRig rig = HttpHooksTest.rig(hooks)) {
      rig.origin(ORIGIN, req -> OK);
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      assertEquals("ok", c.response().body());
      assertEquals("SSN_START hooks are global only (HttpHooks.builder().add): a session exists only once it started",
          onSession.get().getMessage());
      assertEquals("SSN_START is a session hook: add it globally (HttpHooks.builder().add)",
          onTxn.get(0).getMessage());
      assertEquals("SSN_CLOSE is a session hook: add it globally (HttpHooks.builder().add) or to the session "
          + "(txn.session().addHook)", onTxn.get(1).getMessage());
    }
  }

  @Test
  void a_second_session_reenable_throws_naming_the_rule_and_other_events_are_rejected() {
    AtomicReference<RuntimeException> second = new AtomicReference<>();
    AtomicReference<RuntimeException> wrongEvent = new AtomicReference<>();
    HttpHooks hooks = HttpHooks.builder().add(HttpHookId.SSN_START, new Continuation((event, data) -> {
      HttpSsn ssn = (HttpSsn) data;
      wrongEvent.set(assertThrows(IllegalArgumentException.class, () -> ssn.reenable(Event.HTTP_READ_REQUEST_HDR)));
      ssn.reenable();
      second.set(assertThrows(IllegalStateException.class, ssn::reenable));
    })).build();
    try (HttpRig rig = HttpHooksTest.rig(hooks)) {
      rig.origin(ORIGIN, req -> OK);
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      assertEquals("ok", c.response().body(), "the first reenable resumed the session");
      assertEquals("reenable on session 1 that is not stopped at a session hook (TSHttpSsnReenable once per hook "
          + "event)", second.get().getMessage());
      assertEquals("reenable takes HTTP_CONTINUE or HTTP_ERROR, not HTTP_READ_REQUEST_HDR(60002)",
          wrongEvent.get().getMessage());
    }
  }
}
