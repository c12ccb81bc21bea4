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
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * A client session runs its transactions on one reused machine (docs/http.md, "Object lifetimes"): the
 * {@link HttpTxn} handle of a transaction is refused once its TXN_CLOSE hooks returned, the next transaction sees
 * nothing of the previous one, events still addressed to an ended transaction are dropped, and the blocks go back.
 */
class HttpTransactionReuseTest {
  static final String ORIGIN = "10.0.0.1:8080";
  static final String RULE = "docs/http.md, Object lifetimes";
  static final String GET_SECOND = "GET /second HTTP/1.1\r\nHost: example.test\r\n\r\n";
  static final String RESPONSE_SECOND = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond";

  static HttpRig rig(HttpHooks hooks) {
    return new HttpRig(b -> b.hooks(hooks).remap(RemapRule.parse("http://example.test/", "http://" + ORIGIN + "/")));
  }

  /** Keeps the handle of each transaction at TXN_CLOSE (and reenables it), in order. */
  static Continuation keepAtClose(List<HttpTxn> closed) {
    return new Continuation((event, data) -> {
      HttpTxn txn = (HttpTxn) data;
      closed.add(txn);
      txn.reenable();
    });
  }

  /** Starts an origin that answers "ok", opens a client and runs its first transaction, {@code GET /a}, to the end. */
  static HttpRig.Client firstTransactionDone(HttpRig rig) {
    rig.origin(ORIGIN, req -> "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    HttpRig.Client c = rig.client();
    c.send("GET /a HTTP/1.1\r\nHost: example.test\r\n\r\n");
    rig.run();
    return c;
  }

  /** Lets transactions pass until one has closed (in {@code closed}), then holds the next one in {@code held}. */
  static Continuation holdOnceOneClosed(List<HttpTxn> closed, AtomicReference<HttpTxn> held) {
    return new Continuation((event, data) -> {
      HttpTxn txn = (HttpTxn) data;
      if (closed.isEmpty()) {
        txn.reenable();
      } else {
        held.set(txn);
      }
    });
  }

  /** Every entry point a plugin can call on an {@link HttpTxn}, by family. */
  static Map<String, Consumer<HttpTxn>> entryPoints() {
    Continuation any = new Continuation((event, data) -> { });
    Map<String, Consumer<HttpTxn>> calls = new LinkedHashMap<>();
    calls.put("reenable", HttpTxn::reenable);
    calls.put("reenable(HTTP_ERROR)", txn -> txn.reenable(Event.HTTP_ERROR));
    calls.put("id", HttpTxn::id);
    calls.put("clientAddress", HttpTxn::clientAddress);
    calls.put("clientTls", HttpTxn::clientTls);
    calls.put("isInternal", HttpTxn::isInternal);
    calls.put("pluginTag", HttpTxn::pluginTag);
    calls.put("pluginId", HttpTxn::pluginId);
    calls.put("session", HttpTxn::session);
    calls.put("eventLoop", HttpTxn::eventLoop);
    calls.put("lock", HttpTxn::lock);
    calls.put("clientRequest", HttpTxn::clientRequest);
    calls.put("setClientRequest", txn -> txn.setClientRequest(
        new HttpRequestHead("GET", "/other", HttpVersion.HTTP_1_1, new HttpHeaders().add("Host", "example.test"))));
    calls.put("origin", HttpTxn::origin);
    calls.put("serverRequest", HttpTxn::serverRequest);
    calls.put("serverResponse", HttpTxn::serverResponse);
    calls.put("clientResponse", HttpTxn::clientResponse);
    calls.put("clientRequestTrailers", HttpTxn::clientRequestTrailers);
    calls.put("serverResponseTrailers", HttpTxn::serverResponseTrailers);
    calls.put("status", HttpTxn::status);
    calls.put("intercept", txn -> txn.intercept(any));
    calls.put("addResponseTransform", txn -> txn.addResponseTransform(new NullTransform()));
    calls.put("addHook", txn -> txn.addHook(HttpHookId.SEND_RESPONSE_HDR, any));
    calls.put("setErrorStatus", txn -> txn.setErrorStatus(418));
    return calls;
  }

  @Test
  void a_handle_used_after_its_txn_close_throws_naming_the_rule_on_every_entry_point() {
    List<HttpTxn> closed = new ArrayList<>();
    AtomicReference<HttpTxn> held = new AtomicReference<>();
    HttpHooks hooks = HttpHooks.builder()
        .add(HttpHookId.TXN_CLOSE, keepAtClose(closed))
        .add(HttpHookId.READ_REQUEST_HDR, new Continuation((event, data) -> {
          HttpTxn txn = (HttpTxn) data;
          if (txn.clientRequest().target().equals("/second")) {
            held.set(txn); // the second transaction waits at its hook while the first one's handle is used
          } else {
            txn.reenable();
          }
        }))
        .build();
    try (HttpRig rig = rig(hooks)) {
      TestOrigin origin = rig.origin(ORIGIN, req -> req.head().target().equals("/first")
          ? "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst" : RESPONSE_SECOND);
      HttpRig.Client c = rig.client();
      c.send("GET /first HTTP/1.1\r\nHost: example.test\r\n\r\n");
      rig.run();
      assertEquals(1, closed.size());
      HttpTxn stale = closed.get(0);

      c.send(GET_SECOND);
      rig.run();
      HttpTxn second = held.get();
      assertNotNull(second, "the second transaction is held at READ_REQUEST_HDR");
      assertNotSame(stale, second, "each transaction gets its own handle");

      for (Map.Entry<String, Consumer<HttpTxn>> call : entryPoints().entrySet()) {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> call.getValue().accept(stale),
            call.getKey() + " on an ended transaction");
        assertTrue(e.getMessage().contains(RULE), call.getKey() + ": " + e.getMessage());
      }
      rig.run();
      // None of it reached the second transaction: still held, its request as sent, no intercept, no transform.
      assertEquals(1, c.responses().size(), "the stale reenable did not release the second transaction's hook");
      assertEquals("/second", second.clientRequest().target());
      second.reenable();
      rig.run();
      assertEquals(2, origin.requests.size());
      TestOrigin.Request atOrigin = origin.requests.get(1);
      assertEquals("GET /second HTTP/1.1\r\nHost: " + ORIGIN + "\r\nVia: 1.1 vconn\r\n\r\n",
          HttpRig.ascii(atOrigin.head().toBytes()), "the second request as the origin got it");
      assertEquals(0, atOrigin.connection(), "on the pooled connection of the first");
      List<Response> responses = c.responses();
      assertEquals(2, responses.size());
      assertEquals(200, responses.get(1).status());
      assertEquals("6", responses.get(1).header("Content-Length"));
      assertEquals("second", responses.get(1).body());
      assertEquals(2, closed.size());
      assertThrows(IllegalStateException.class, () -> closed.get(1).clientRequest());
    }
  }

  @Test
  void a_handle_is_valid_in_its_txn_close_hook_and_refused_once_that_hook_returned() {
    List<String> seenAtClose = new ArrayList<>();
    List<Long> ids = new ArrayList<>();
    List<HttpTxn> closed = new ArrayList<>();
    HttpHooks hooks = HttpHooks.builder()
        .add(HttpHookId.TXN_CLOSE, new Continuation((event, data) -> {
          HttpTxn txn = (HttpTxn) data;
          ids.add(txn.id());
          seenAtClose.add(txn.status() + " " + txn.clientRequest().target());
          closed.add(txn);
          txn.reenable();
        }))
        .build();
    try (HttpRig rig = rig(hooks)) {
      HttpRig.Client c = firstTransactionDone(rig);
      assertEquals(1, seenAtClose.size());
      assertEquals(List.of("200 /a"), seenAtClose);
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> closed.get(0).status());
      assertTrue(e.getMessage().contains("status on transaction " + ids.get(0) + ", which has ended"),
          e.getMessage());
      assertTrue(e.getMessage().contains(RULE), e.getMessage());
    }
  }

  /**
   * The first transaction of a keep-alive connection uses everything a plugin can set on a transaction: a request
   * field, a body, an intercept, a transform, a transaction hook, an error status. The second goes to the origin:
   * the origin receives exactly the bytes it receives for the same request on a connection of its own, and the
   * client gets exactly that connection's response; the third answers with the default error status.
   */
  @Test
  void a_second_keep_alive_transaction_sees_nothing_of_the_first() {
    AtomicInteger txnHookCalls = new AtomicInteger();
    List<String> atClose = new ArrayList<>();
    Function<HttpRig, HttpInterceptTest.Server> serverOf = rig -> new HttpInterceptTest.Server(rig.pool,
        HttpInterceptTest.Ending.CLOSE, false, req -> "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst");
    AtomicReference<HttpInterceptTest.Server> server = new AtomicReference<>();
    HttpHooks hooks = HttpHooks.builder()
        .add(HttpHookId.READ_REQUEST_HDR, HttpHooksTest.hook(txn -> {
          switch (txn.clientRequest().target()) {
            case "/first" -> {
              txn.clientRequest().headers().add("X-First", "1");
              txn.intercept(server.get().cont);
              txn.addResponseTransform(new NullTransform());
              txn.addHook(HttpHookId.SEND_RESPONSE_HDR, HttpHooksTest.hook(t -> {
                txnHookCalls.incrementAndGet();
                t.clientResponse().headers().add("X-Txn-Hook", "1");
              }));
              txn.setErrorStatus(418);
            }
            default -> { }
          }
        }))
        .add(HttpHookId.READ_RESPONSE_HDR, new Continuation((event, data) -> {
          HttpTxn txn = (HttpTxn) data;
          txn.reenable(txn.clientRequest().target().equals("/third") ? Event.HTTP_ERROR : Event.HTTP_CONTINUE);
        }))
        .add(HttpHookId.TXN_CLOSE, HttpHooksTest.hook(txn -> atClose.add(txn.clientRequest().target() + " "
            + txn.status() + " " + txn.origin() + " " + txn.clientRequest().headers().get("X-First"))))
        .build();

    // What a connection of its own sends the origin and the client for the second request.
    String aloneAtOrigin;
    String aloneAtClient;
    try (HttpRig rig = rig(hooks)) {
      server.set(serverOf.apply(rig));
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client();
      c.send(GET_SECOND);
      rig.run();
      aloneAtOrigin = origin.conn(0).received();
      origin.conn(0).send(RESPONSE_SECOND);
      rig.run();
      aloneAtClient = c.received();
    }
    assertTrue(aloneAtOrigin.startsWith("GET /second HTTP/1.1\r\n"), aloneAtOrigin);
    atClose.clear();

    try (HttpRig rig = rig(hooks)) {
      server.set(serverOf.apply(rig));
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client();
      c.send("POST /first HTTP/1.1\r\nHost: example.test\r\nContent-Length: 5\r\n\r\nhello");
      rig.run();
      assertEquals(1, server.get().requests.size());
      assertTrue(server.get().requests.get(0).contains("X-First: 1"), server.get().requests.get(0));
      String first = c.received();
      Response firstResponse = c.response();
      assertTrue(firstResponse.chunked(), "the transform made the first response chunked");
      assertEquals("1", firstResponse.header("X-Txn-Hook"));
      assertEquals("first", firstResponse.body());

      c.send(GET_SECOND);
      rig.run();
      assertEquals(aloneAtOrigin, origin.conn(0).received(), "the exact bytes the origin got");
      origin.conn(0).send(RESPONSE_SECOND);
      rig.run();
      assertEquals(aloneAtClient, c.received().substring(first.length()), "the exact bytes the client got");

      c.send("GET /third HTTP/1.1\r\nHost: example.test\r\n\r\n");
      rig.run();
      origin.conn(0).send(RESPONSE_SECOND);
      rig.run();
      List<Response> responses = c.responses();
      assertEquals(3, responses.size());
      assertEquals(500, responses.get(2).status(), "the first transaction's error status is not the third's");
      assertNull(responses.get(2).header("X-Txn-Hook"));
      assertEquals(1, txnHookCalls.get(), "the first transaction's own hook ran for it alone");
      assertEquals(List.of("/first 200 intercept 1", "/second 200 " + ORIGIN + " null",
          "/third 500 " + ORIGIN + " null"), atClose);
      assertEquals(1, server.get().accepted.size(), "only the first transaction was intercepted");
    }
  }

  /**
   * A plugin's late timer uses the handle of a transaction that ended while the session's next transaction waits at
   * a hook: the call throws and the next transaction stays where it is.
   */
  @Test
  void a_late_timer_with_an_ended_transactions_handle_does_not_touch_the_next_one() {
    List<HttpTxn> closed = new ArrayList<>();
    AtomicReference<HttpTxn> held = new AtomicReference<>();
    HttpHooks hooks = HttpHooks.builder()
        .add(HttpHookId.TXN_CLOSE, keepAtClose(closed))
        .add(HttpHookId.SEND_RESPONSE_HDR, holdOnceOneClosed(closed, held))
        .build();
    try (HttpRig rig = rig(hooks)) {
      HttpRig.Client c = firstTransactionDone(rig);
      HttpTxn stale = closed.get(0);
      List<RuntimeException> thrown = new ArrayList<>();
      rig.loop.schedule(() -> {
        try {
          stale.reenable();
        } catch (RuntimeException e) {
          thrown.add(e);
        }
      }, Duration.ofMillis(50));
      c.send("GET /b HTTP/1.1\r\nHost: example.test\r\n\r\n");
      rig.run();
      assertNotNull(held.get(), "the second transaction waits at SEND_RESPONSE_HDR");
      rig.advance(Duration.ofMillis(100));
      assertEquals(1, thrown.size());
      assertTrue(thrown.get(0) instanceof IllegalStateException && thrown.get(0).getMessage().contains(RULE),
          String.valueOf(thrown.get(0)));
      assertEquals(1, c.responses().size(), "the second response waits for its own hook");
      held.get().reenable();
      rig.run();
      assertEquals(2, c.responses().size());
    }
  }

  /**
   * A hook resume still queued for a transaction that ended (white box: the machine gets it through its control
   * continuation) is dropped: the session's next transaction, waiting at a hook, is not resumed by it.
   */
  @Test
  void a_resume_queued_for_an_ended_transaction_is_dropped() {
    List<HttpTxn> closed = new ArrayList<>();
    List<Long> ids = new ArrayList<>();
    AtomicReference<HttpTxn> held = new AtomicReference<>();
    HttpHooks hooks = HttpHooks.builder()
        .add(HttpHookId.TXN_CLOSE, HttpHooksTest.hook(txn -> ids.add(txn.id())))
        .add(HttpHookId.TXN_CLOSE, keepAtClose(closed))
        .add(HttpHookId.READ_REQUEST_HDR, holdOnceOneClosed(closed, held))
        .build();
    try (HttpRig rig = rig(hooks)) {
      HttpRig.Client c = firstTransactionDone(rig);
      HttpTransaction.Handle stale = (HttpTransaction.Handle) closed.get(0);
      c.send("GET /b HTTP/1.1\r\nHost: example.test\r\n\r\n");
      rig.run();
      HttpTransaction.Handle second = (HttpTransaction.Handle) held.get();
      assertNotNull(second);
      HttpSM machine = second.data().sm;
      assertSame(machine, stale.data().sm, "the session reused its machine");

      machine.resume(Event.HTTP_CONTINUE, ids.get(0)); // as if queued before the first transaction ended
      rig.run();
      assertEquals(1, c.responses().size(), "the second transaction was not resumed by the first one's resume");
      assertEquals(HttpHookId.READ_REQUEST_HDR, second.data().hooks.stoppedAt(second));

      second.reenable();
      rig.run();
      assertEquals(2, c.responses().size());
    }
  }

  /** Blocks go back after many transactions on one connection, and after one that failed in the middle. */
  @Test
  void blocks_return_to_the_baseline_after_many_transactions_and_after_a_fault_mid_transaction() {
    try (HttpRig rig = rig(HttpHooks.builder().build())) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client();
      c.send(GET_SECOND);
      rig.run();
      origin.conn(0).send(RESPONSE_SECOND);
      rig.run();
      long baseline = rig.pool.outstanding();
      for (int i = 0; i < 50; i++) {
        c.send(GET_SECOND);
        rig.run();
        origin.conn(0).send(RESPONSE_SECOND);
        rig.run();
        assertEquals(baseline, rig.pool.outstanding(), "blocks held after transaction " + (i + 2));
      }
      assertEquals(51, c.responses().size());

      // A fault in the middle: the origin resets after half the body; the client gets a truncated response.
      c.send(GET_SECOND);
      rig.run();
      origin.conn(0).send("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsec");
      rig.run();
      origin.conn(0).abort();
      rig.run();
      assertFalse(c.received().endsWith("second"), "the response was cut short");
      c.close();
      rig.run();
      assertEquals(0, rig.proxy.openSessions());
      assertEquals(0, rig.pool.outstanding(), "blocks not returned after the fault: " + rig.pool);
    }
  }
}
