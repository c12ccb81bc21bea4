package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.VConn;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Plugin hooks after Traffic Server's: order, what they may change, reenabling, errors. */
class HttpHooksTest {
  static final String ORIGIN = "10.0.0.1:8080";
  static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  static final String GET = "GET /a HTTP/1.1\r\nHost: example.test\r\n\r\n";

  static HttpRig rig(HttpHooks hooks) {
    return rig(b -> b.hooks(hooks));
  }

  static HttpRig rig(Consumer<HttpProxyConfig.Builder> more) {
    return new HttpRig(b -> {
      b.remap(RemapRule.parse("http://example.test/", "http://" + ORIGIN + "/"));
      more.accept(b);
    });
  }

  /** A hook continuation that runs {@code body} with the transaction and then reenables it. */
  static Continuation hook(Consumer<HttpTxn> body) {
    return new Continuation((event, data) -> {
      HttpTxn txn = (HttpTxn) data;
      body.accept(txn);
      txn.reenable();
    });
  }

  /** A hook continuation that keeps the transaction for the test to reenable. */
  static Continuation holding(AtomicReference<HttpTxn> held) {
    return new Continuation((event, data) -> held.set((HttpTxn) data));
  }

  @Test
  void global_hooks_for_all_five_ids_are_called_in_order_with_the_transaction() {
    List<String> trace = new ArrayList<>();
    HttpHooks.Builder hooks = HttpHooks.builder();
    for (HttpHookId id : List.of(HttpHookId.READ_REQUEST_HDR, HttpHookId.SEND_REQUEST_HDR,
        HttpHookId.READ_RESPONSE_HDR, HttpHookId.SEND_RESPONSE_HDR, HttpHookId.TXN_CLOSE)) {
      hooks.add(id, new Continuation((event, data) -> {
        HttpTxn txn = (HttpTxn) data;
        assertEquals(id.event(), event);
        assertTrue(txn.eventLoop().inEventLoop(), "hooks run on the client connection's loop");
        String seen = switch (id) {
          case READ_REQUEST_HDR -> txn.clientRequest().target() + (txn.serverRequest() == null ? "" : "!");
          case SEND_REQUEST_HDR -> txn.serverRequest().headers().get("Host");
          case READ_RESPONSE_HDR -> Integer.toString(txn.serverResponse().status());
          case SEND_RESPONSE_HDR -> txn.clientResponse().headers().get("Via");
          case TXN_CLOSE -> Integer.toString(txn.status());
          default -> throw new AssertionError("not added here: " + id); // see HttpSessionHooksTest, HttpRemapHooksTest
        };
        trace.add(txn.id() + " " + id + " " + seen);
        txn.reenable();
      }));
    }
    try (HttpRig rig = rig(hooks.build())) {
      rig.origin(ORIGIN, req -> OK);
      HttpRig.Client c = rig.client();
      c.send(GET + GET.replace("/a", "/b"));
      rig.run();
      assertEquals(2, c.responses().size());
      assertEquals(List.of(
          "1 READ_REQUEST_HDR /a", "1 SEND_REQUEST_HDR " + ORIGIN, "1 READ_RESPONSE_HDR 200",
          "1 SEND_RESPONSE_HDR 1.1 vconn", "1 TXN_CLOSE 200",
          "2 READ_REQUEST_HDR /b", "2 SEND_REQUEST_HDR " + ORIGIN, "2 READ_RESPONSE_HDR 200",
          "2 SEND_RESPONSE_HDR 1.1 vconn", "2 TXN_CLOSE 200"), trace);
    }
  }

  @Test
  void hook_sees_the_in_process_identity_of_the_client() {
    AtomicReference<String> seen = new AtomicReference<>();
    HttpHooks hooks = HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, hook(txn -> seen.set(
        txn.pluginTag() + "/" + txn.pluginId() + "/" + txn.isInternal() + "/" + txn.clientAddress()))).build();
    try (HttpRig rig = rig(hooks)) {
      rig.origin(ORIGIN, req -> OK);
      rig.client("fetcher", 42, HttpRig.CLIENT).send(GET);
      rig.run();
      assertEquals("fetcher/42/true/" + HttpRig.CLIENT, seen.get());
    }
  }

  @Nested
  class Changes {
    @Test
    void read_request_hdr_hook_adds_a_request_header_the_origin_sees() {
      HttpHooks hooks = HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR,
          hook(txn -> txn.clientRequest().headers().add("X-Plugin", "was here"))).build();
      try (HttpRig rig = rig(hooks)) {
        TestOrigin origin = rig.origin(ORIGIN, req -> OK);
        rig.client().send(GET);
        rig.run();
        assertEquals("was here", origin.requests.get(0).head().headers().get("X-Plugin"));
      }
    }

    @Test
    void read_request_hdr_hook_may_replace_the_request_and_change_its_route() {
      HttpHooks hooks = HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, hook(txn -> {
        HttpRequestHead r = txn.clientRequest();
        txn.setClientRequest(new HttpRequestHead(r.method(), "/rewritten", r.version(), r.headers()));
      })).build();
      try (HttpRig rig = rig(hooks)) {
        TestOrigin origin = rig.origin(ORIGIN, req -> OK);
        rig.client().send(GET);
        rig.run();
        assertEquals("/rewritten", origin.requests.get(0).head().target());
      }
    }

    @Test
    void send_request_hdr_hook_changes_what_the_origin_gets() {
      HttpHooks hooks = HttpHooks.builder().add(HttpHookId.SEND_REQUEST_HDR,
          hook(txn -> txn.serverRequest().headers().set("X-Upstream", "1"))).build();
      try (HttpRig rig = rig(hooks)) {
        TestOrigin origin = rig.origin(ORIGIN, req -> OK);
        rig.client().send(GET);
        rig.run();
        assertEquals("1", origin.requests.get(0).head().headers().get("X-Upstream"));
      }
    }

    @Test
    void send_response_hdr_hook_adds_a_response_header_the_client_sees() {
      HttpHooks hooks = HttpHooks.builder().add(HttpHookId.SEND_RESPONSE_HDR,
          hook(txn -> txn.clientResponse().headers().add("X-Served-By", "plugin"))).build();
      try (HttpRig rig = rig(hooks)) {
        rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client();
        c.send(GET);
        rig.run();
        assertEquals("plugin", c.response().header("X-Served-By"));
        assertEquals("ok", c.response().body());
      }
    }

    @Test
    void send_response_hdr_hooks_also_see_the_proxys_own_error_responses() {
      HttpHooks hooks = HttpHooks.builder().add(HttpHookId.SEND_RESPONSE_HDR,
          hook(txn -> txn.clientResponse().headers().add("X-Served-By", "plugin " + txn.clientResponse().status())))
          .build();
      try (HttpRig rig = rig(hooks)) {
        HttpRig.Client c = rig.client();
        c.send("GET /nowhere HTTP/1.1\r\nHost: unmapped.test\r\n\r\n");
        rig.run();
        assertEquals(404, c.response().status());
        assertEquals("plugin 404", c.response().header("X-Served-By"));
        assertFalse(c.eos, "a fully read request keeps its connection after a 404");
      }
    }

    @Test
    void an_error_from_send_response_hdr_on_an_error_response_still_sends_that_response() {
      HttpHooks hooks = HttpHooks.builder().add(HttpHookId.SEND_RESPONSE_HDR,
          new Continuation((event, data) -> ((HttpTxn) data).reenable(Event.HTTP_ERROR))).build();
      try (HttpRig rig = rig(hooks)) {
        HttpRig.Client c = rig.client();
        c.send("GET /nowhere HTTP/1.1\r\nHost: unmapped.test\r\n\r\n");
        rig.run();
        assertEquals(404, c.response().status(), "no loop, no second response");
        assertEquals(1, c.responses().size());
      }
    }

    @Test
    void per_transaction_hook_runs_after_the_global_ones_and_only_for_its_transaction() {
      List<String> trace = new ArrayList<>();
      HttpHooks hooks = HttpHooks.builder()
          .add(HttpHookId.READ_REQUEST_HDR, hook(txn -> {
            trace.add("global read " + txn.id());
            if (txn.clientRequest().target().equals("/a")) {
              txn.addHook(HttpHookId.SEND_RESPONSE_HDR, hook(t -> {
                trace.add("txn send-response " + t.id());
                t.clientResponse().headers().add("X-Txn-Hook", "yes");
              }));
            }
          }))
          .add(HttpHookId.SEND_RESPONSE_HDR, hook(txn -> trace.add("global send-response " + txn.id())))
          .build();
      try (HttpRig rig = rig(hooks)) {
        rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client();
        c.send(GET + GET.replace("/a", "/b"));
        rig.run();
        List<Response> rs = c.responses();
        assertEquals("yes", rs.get(0).header("X-Txn-Hook"));
        assertFalse(rs.get(1).has("X-Txn-Hook"));
        assertEquals(List.of("global read 1", "global send-response 1", "txn send-response 1", "global read 2",
            "global send-response 2"), trace);
      }
    }
  }

  @Nested
  class Reenable {
    @Test
    void hook_that_reenables_later_resumes_the_transaction() {
      AtomicReference<HttpTxn> held = new AtomicReference<>();
      try (HttpRig rig = rig(HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, holding(held)).build())) {
        TestOrigin origin = rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client();
        c.send(GET);
        rig.run();
        assertNotNull(held.get());
        rig.advance(Duration.ofSeconds(5));
        assertEquals("", c.received(), "held at the hook");
        assertEquals(0, origin.connections());
        held.get().reenable();
        rig.run();
        assertEquals("ok", c.response().body());
        assertEquals(5000, rig.log.get(0).durationMillis(), "the wait counts in the duration");
      }
    }

    @Test
    void hook_that_reenables_from_another_thread_resumes_the_transaction() throws InterruptedException {
      AtomicReference<HttpTxn> held = new AtomicReference<>();
      try (HttpRig rig = rig(HttpHooks.builder().add(HttpHookId.SEND_RESPONSE_HDR, holding(held)).build())) {
        rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client();
        c.send(GET);
        rig.run();
        assertEquals("", c.received());
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread plugin = new Thread(() -> {
          try {
            held.get().clientResponse().headers().add("X-From-Thread", Thread.currentThread().getName());
            held.get().reenable();
          } catch (Throwable t) {
            failure.set(t);
          }
        }, "plugin-thread");
        plugin.start();
        plugin.join();
        assertNull(failure.get());
        assertEquals("", c.received(), "never resumed inside reenable: it posts to the loop");
        rig.run();
        assertEquals("plugin-thread", c.response().header("X-From-Thread"));
      }
    }

    @ParameterizedTest
    @EnumSource(value = HttpHookId.class, names = {"READ_REQUEST_HDR", "SEND_REQUEST_HDR", "READ_RESPONSE_HDR",
        "SEND_RESPONSE_HDR"})
    void a_hook_may_hold_the_transaction_longer_than_the_inactivity_timeout(HttpHookId id) {
      AtomicReference<HttpTxn> held = new AtomicReference<>();
      List<Integer> closed = new ArrayList<>();
      HttpHooks hooks = HttpHooks.builder()
          .add(id, holding(held))
          .add(HttpHookId.TXN_CLOSE, hook(txn -> closed.add(txn.status())))
          .build();
      try (HttpRig rig = rig(b -> b.hooks(hooks).timeouts(HttpTimeouts.defaults()
          .withInactivity(Duration.ofSeconds(5)).withResponse(Duration.ofSeconds(5))))) {
        rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client();
        c.send(GET);
        rig.run();
        rig.advance(Duration.ofSeconds(8)); // the plugin takes its time (an external lookup, say)
        assertEquals("", c.received(), "nothing happens while the hook holds the transaction");
        assertTrue(closed.isEmpty(), "TXN_CLOSE must not run while another hook holds the transaction");
        held.get().reenable();
        rig.run();
        assertEquals("ok", c.response().body());
        assertEquals(List.of(200), closed);
      }
    }

    @Test
    void a_txn_close_hook_may_hold_longer_than_the_inactivity_timeout_and_runs_once() {
      AtomicReference<HttpTxn> held = new AtomicReference<>();
      List<Long> closed = new ArrayList<>();
      HttpHooks hooks = HttpHooks.builder().add(HttpHookId.TXN_CLOSE, new Continuation((event, data) -> {
        HttpTxn txn = (HttpTxn) data;
        closed.add(txn.id());
        if (txn.id() == 1) {
          held.set(txn);
        } else {
          txn.reenable();
        }
      })).build();
      try (HttpRig rig = rig(b -> b.hooks(hooks).timeouts(HttpTimeouts.defaults()
          .withInactivity(Duration.ofSeconds(5))))) {
        rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client();
        c.send(GET);
        rig.run();
        rig.advance(Duration.ofSeconds(8));
        assertEquals(List.of(1L), closed, "TXN_CLOSE ran once");
        assertFalse(c.eos, "a finished response is not aborted because its TXN_CLOSE hook is slow");
        held.get().reenable();
        rig.run();
        c.send(GET);
        rig.run();
        assertEquals(2, c.responses().size());
        assertEquals(List.of(1L, 2L), closed);
      }
    }

    @Test
    void a_second_reenable_for_one_hook_event_throws_naming_the_rule() {
      AtomicReference<RuntimeException> second = new AtomicReference<>();
      HttpHooks hooks = HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, new Continuation((event, data) -> {
        HttpTxn txn = (HttpTxn) data;
        txn.reenable();
        second.set(assertThrows(IllegalStateException.class, txn::reenable));
      })).build();
      try (HttpRig rig = rig(hooks)) {
        rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client();
        c.send(GET);
        rig.run();
        assertTrue(second.get().getMessage().contains("TSHttpTxnReenable once per hook event"),
            second.get().getMessage());
        assertEquals("ok", c.response().body(), "the first reenable still counts");
      }
    }

    @Test
    void reenable_with_another_event_is_rejected() {
      AtomicReference<RuntimeException> wrong = new AtomicReference<>();
      HttpHooks hooks = HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, new Continuation((event, data) -> {
        HttpTxn txn = (HttpTxn) data;
        wrong.set(assertThrows(IllegalArgumentException.class, () -> txn.reenable(Event.IMMEDIATE)));
        txn.reenable();
      })).build();
      try (HttpRig rig = rig(hooks)) {
        rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client();
        c.send(GET);
        rig.run();
        assertTrue(wrong.get().getMessage().contains("HTTP_CONTINUE or HTTP_ERROR"));
        assertEquals(200, c.response().status());
      }
    }

    @Test
    void reenable_with_http_error_answers_the_error_status() {
      HttpHooks hooks = HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, new Continuation((event, data) -> {
        HttpTxn txn = (HttpTxn) data;
        txn.setErrorStatus(403);
        txn.reenable(Event.HTTP_ERROR);
      })).build();
      try (HttpRig rig = rig(hooks)) {
        TestOrigin origin = rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client();
        c.send(GET);
        rig.run();
        assertEquals(403, c.response().status());
        assertFalse(c.eos, "an HTTP_ERROR on a fully read request keeps the connection");
        assertEquals(0, origin.connections());
        assertEquals(403, rig.log.get(0).status());
      }
    }

    @Test
    void http_error_without_a_status_is_500_and_replaces_the_origin_response_at_read_response_hdr() {
      HttpHooks hooks = HttpHooks.builder().add(HttpHookId.READ_RESPONSE_HDR,
          new Continuation((event, data) -> ((HttpTxn) data).reenable(Event.HTTP_ERROR))).build();
      try (HttpRig rig = rig(hooks)) {
        TestOrigin origin = rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client();
        c.send(GET);
        rig.run();
        assertEquals(500, c.response().status());
        assertFalse(c.eos, "an HTTP_ERROR on a fully read request keeps the connection");
        assertTrue(origin.conns.get(0).closed, "the unread origin response is dropped with its connection");
        assertEquals(0, rig.proxy.idleOriginConnections());
      }
    }

    @Test
    void a_hook_that_throws_answers_500_instead_of_escaping_to_the_loop() {
      HttpHooks hooks = HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, new Continuation((event, data) -> {
        throw new IllegalStateException("plugin bug");
      })).build();
      try (HttpRig rig = rig(hooks)) {
        TestOrigin origin = rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client();
        c.send(GET);
        rig.run(); // an exception escaping a task would fail here
        assertEquals(500, c.response().status());
        assertFalse(c.eos, "a failed hook on a fully read request keeps the connection");
        assertEquals(0, origin.connections());
        assertEquals(500, rig.log.get(0).status());
      }
    }

    @Test
    void set_error_status_rejects_a_non_error_status() {
      AtomicReference<RuntimeException> thrown = new AtomicReference<>();
      HttpHooks hooks = HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, hook(txn ->
          thrown.set(assertThrows(IllegalArgumentException.class, () -> txn.setErrorStatus(200))))).build();
      try (HttpRig rig = rig(hooks)) {
        rig.origin(ORIGIN, req -> OK);
        rig.client().send(GET);
        rig.run();
        assertTrue(thrown.get().getMessage().contains("400..599"));
      }
    }
  }

  @Nested
  class TxnClose {
    @Test
    void txn_close_runs_for_failed_transactions_too() {
      List<String> closed = new ArrayList<>();
      HttpHooks hooks = HttpHooks.builder().add(HttpHookId.TXN_CLOSE, hook(txn -> closed.add(
          (txn.clientRequest() == null ? "-" : txn.clientRequest().target()) + " " + txn.status()))).build();
      try (HttpRig rig = rig(hooks)) {
        TestOrigin origin = rig.origin(ORIGIN, req -> OK);
        origin.refuse = true;
        rig.client().send("garbage\r\n\r\n");
        rig.client().send(GET);
        rig.run();
        assertEquals(List.of("- 400", "/a 502"), closed);
      }
    }

    @Test
    void txn_close_runs_when_the_client_leaves_in_the_middle() {
      List<Integer> closed = new ArrayList<>();
      HttpHooks hooks = HttpHooks.builder().add(HttpHookId.TXN_CLOSE, hook(txn -> closed.add(txn.status())))
          .build();
      try (HttpRig rig = rig(hooks)) {
        TestOrigin origin = rig.origin(ORIGIN, req -> OK);
        origin.defer = true;
        HttpRig.Client c = rig.client();
        c.send(GET);
        rig.run();
        c.close();
        rig.run();
        assertEquals(List.of(0), closed, "no status was sent");
        assertEquals(0, rig.proxy.openSessions());
        assertEquals(1, rig.log.size());
        assertEquals(0, rig.log.get(0).status());
        assertTrue(origin.conns.get(0).closed, "the origin connection of an abandoned transaction is closed");
      }
    }

    @Test
    void client_leaving_while_a_hook_holds_the_transaction_frees_the_connection_and_ends_it_on_reenable() {
      AtomicReference<HttpTxn> held = new AtomicReference<>();
      List<Integer> closed = new ArrayList<>();
      HttpHooks hooks = HttpHooks.builder()
          .add(HttpHookId.READ_REQUEST_HDR, holding(held))
          .add(HttpHookId.TXN_CLOSE, hook(txn -> closed.add(txn.status())))
          .build();
      try (HttpRig rig = rig(hooks)) {
        TestOrigin origin = rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client();
        c.send(GET);
        rig.run();
        c.close();
        rig.run();
        assertEquals(0, rig.proxy.openSessions(), "freed at once");
        assertEquals(0, rig.log.size(), "the transaction ends only when the hook resumes it");
        held.get().reenable();
        rig.run();
        assertEquals(List.of(0), closed);
        assertEquals(1, rig.log.size());
        assertEquals(0, origin.connections(), "not routed after the client left");
      }
    }
  }

  @Nested
  class WrongHook {
    @Test
    void intercept_outside_read_request_hdr_throws_naming_the_hook() {
      AtomicReference<RuntimeException> thrown = new AtomicReference<>();
      HttpHooks hooks = HttpHooks.builder().add(HttpHookId.SEND_REQUEST_HDR, hook(txn -> thrown.set(
          assertThrows(IllegalStateException.class, () -> txn.intercept(new Continuation((e, d) -> { }))))))
          .build();
      try (HttpRig rig = rig(hooks)) {
        rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client();
        c.send(GET);
        rig.run();
        assertTrue(thrown.get().getMessage().contains("READ_REQUEST_HDR"), thrown.get().getMessage());
        assertTrue(thrown.get().getMessage().contains("SEND_REQUEST_HDR"), thrown.get().getMessage());
        assertEquals(200, c.response().status(), "the transaction goes on");
      }
    }

    @Test
    void calls_after_reenable_throw_because_the_transaction_is_no_longer_stopped() {
      AtomicReference<RuntimeException> thrown = new AtomicReference<>();
      HttpHooks hooks = HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, new Continuation((event, data) -> {
        HttpTxn txn = (HttpTxn) data;
        txn.reenable();
        thrown.set(assertThrows(IllegalStateException.class, () -> txn.addResponseTransform(new NullTransform())));
      })).build();
      try (HttpRig rig = rig(hooks)) {
        rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client();
        c.send(GET);
        rig.run();
        assertTrue(thrown.get().getMessage().contains("no hook"), thrown.get().getMessage());
        assertEquals("ok", c.response().body());
      }
    }

    @Test
    void set_client_request_at_send_response_hdr_throws() {
      AtomicReference<RuntimeException> thrown = new AtomicReference<>();
      HttpHooks hooks = HttpHooks.builder().add(HttpHookId.SEND_RESPONSE_HDR, hook(txn -> thrown.set(
          assertThrows(IllegalStateException.class, () -> txn.setClientRequest(txn.clientRequest()))))).build();
      try (HttpRig rig = rig(hooks)) {
        rig.origin(ORIGIN, req -> OK);
        rig.client().send(GET);
        rig.run();
        assertNotNull(thrown.get(), "the hook ran");
        assertEquals("setClientRequest is allowed only while the transaction is stopped at "
            + "[READ_REQUEST_HDR, PRE_REMAP], it is at SEND_RESPONSE_HDR", thrown.get().getMessage(),
            "names the hooks that allow it and where it is");
      }
    }
  }

  @Test
  void hook_continuation_runs_under_its_own_lock_and_the_txn_lock_is_the_sessions() {
    AtomicReference<Boolean> ownLockHeld = new AtomicReference<>();
    AtomicReference<Object> txnLock = new AtomicReference<>();
    Continuation[] self = new Continuation[1];
    self[0] = new Continuation((event, data) -> {
      HttpTxn txn = (HttpTxn) data;
      ownLockHeld.set(self[0].lock().isHeldByCurrentThread());
      txnLock.set(txn.lock());
      txn.reenable();
    });
    try (HttpRig rig = rig(HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, self[0]).build())) {
      rig.origin(ORIGIN, req -> OK);
      HttpRig.Client c = rig.client();
      // The session's side of the client connection: its read continuation is the session's, under the session lock.
      VConn sessionSide = rig.pairs.get(rig.pairs.size() - 1).passive();
      c.send(GET);
      rig.run();
      assertEquals(200, c.response().status());
      assertTrue(ownLockHeld.get());
      assertNotNull(txnLock.get());
      assertSame(sessionSide.readVio().continuation().lock(), txnLock.get(),
          "txn.lock() is the lock the session handles its client's events under");
      assertNotSame(self[0].lock(), txnLock.get(), "a hook has its own lock, unlike a transform");
    }
  }
}
