package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The remap hooks PRE_REMAP and POST_REMAP (docs/http.md, "Hooks"): rewriting the target before routing (normalised
 * again, so a rewrite cannot climb out of a rule's prefix), seeing the chosen origin, stopping before it is connected.
 */
class HttpRemapHooksTest {
  static final String ORIGIN = HttpHooksTest.ORIGIN;
  static final String OTHER = "10.0.0.2:8080";
  static final String API = "10.0.0.3:8080";
  static final String OK = HttpHooksTest.OK;
  static final String GET = HttpHooksTest.GET;

  static HttpRig rig(HttpHooks hooks) {
    return new HttpRig(b -> b.hooks(hooks)
        .remap(RemapRule.parse("http://example.test/api/", "http://" + API + "/v1/"))
        .remap(RemapRule.parse("http://example.test/", "http://" + ORIGIN + "/"))
        .remap(RemapRule.parse("http://other.test/", "http://" + OTHER + "/")));
  }

  /** A PRE_REMAP hook that replaces the request target. */
  static HttpHooks preRemapTarget(String target) {
    return HttpHooks.builder().add(HttpHookId.PRE_REMAP, HttpHooksTest.hook(txn -> {
      HttpRequestHead r = txn.clientRequest();
      txn.setClientRequest(new HttpRequestHead(r.method(), target, r.version(), r.headers()));
    })).build();
  }

  @Test
  void a_host_rewritten_at_pre_remap_routes_to_another_origin() {
    List<String> origins = new ArrayList<>();
    HttpHooks hooks = HttpHooks.builder()
        .add(HttpHookId.PRE_REMAP, HttpHooksTest.hook(txn -> txn.clientRequest().headers().set("Host", "other.test")))
        .add(HttpHookId.POST_REMAP, HttpHooksTest.hook(txn -> origins.add(txn.origin())))
        .build();
    try (HttpRig rig = rig(hooks)) {
      TestOrigin example = rig.origin(ORIGIN, req -> OK);
      TestOrigin other = rig.origin(OTHER, req -> OK);
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      assertEquals("ok", c.response().body());
      assertEquals(List.of(OTHER), rig.connectAttempts);
      assertEquals(List.of(OTHER), origins, "POST_REMAP sees the origin the rewritten Host chose");
      assertTrue(example.requests.isEmpty());
      assertEquals("/a", other.requests.get(0).head().target());
      assertEquals(OTHER, other.requests.get(0).head().headers().get("Host"));
      assertEquals(OTHER, rig.log.get(0).origin());
    }
  }

  @Test
  void a_target_rewritten_at_pre_remap_is_mapped_by_the_rule_it_matches() {
    try (HttpRig rig = rig(preRemapTarget("/api/x?q=1"))) {
      TestOrigin example = rig.origin(ORIGIN, req -> OK);
      TestOrigin api = rig.origin(API, req -> OK);
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      assertEquals("ok", c.response().body());
      assertEquals("/v1/x?q=1", api.requests.get(0).head().target());
      assertTrue(example.requests.isEmpty());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"/api/../../etc/passwd", "/api/%2e%2e/%2E%2E/etc/passwd", "/..", "/a/%2e%2e/../x"})
  void a_target_set_at_pre_remap_that_climbs_above_the_root_gets_400_and_no_origin_is_contacted(String target) {
    try (HttpRig rig = rig(preRemapTarget(target))) {
      TestOrigin example = rig.origin(ORIGIN, req -> OK);
      TestOrigin api = rig.origin(API, req -> OK);
      HttpRig.Client c = rig.client();
      c.send("GET /api/ok HTTP/1.1\r\nHost: example.test\r\n\r\n");
      rig.run();
      HttpBadInputTest.assertErrorAndClosed(rig, c, 400);
      assertEquals(List.of(), rig.connectAttempts, "no origin connection for " + target);
      assertTrue(example.requests.isEmpty());
      assertTrue(api.requests.isEmpty());
    }
  }

  @Test
  void a_target_set_at_pre_remap_cannot_step_out_of_a_rule_prefix_with_encoded_dot_segments() {
    try (HttpRig rig = rig(preRemapTarget("/api/%2e%2E/admin"))) {
      TestOrigin example = rig.origin(ORIGIN, req -> OK);
      TestOrigin api = rig.origin(API, req -> OK);
      HttpRig.Client c = rig.client();
      c.send("GET /api/ok HTTP/1.1\r\nHost: example.test\r\n\r\n");
      rig.run();
      assertEquals("ok", c.response().body());
      assertTrue(api.requests.isEmpty(), "/api/%2e%2E/admin is /admin: not the /api/ rule's");
      assertEquals("/admin", example.requests.get(0).head().target());
    }
  }

  @Test
  void post_remap_sees_the_chosen_origin_before_it_is_connected_and_its_field_changes_reach_the_origin() {
    List<String> seen = new ArrayList<>();
    HttpHooks hooks = HttpHooks.builder()
        .add(HttpHookId.READ_REQUEST_HDR, HttpHooksTest.hook(txn -> seen.add("READ_REQUEST_HDR " + txn.origin())))
        .add(HttpHookId.PRE_REMAP, HttpHooksTest.hook(txn -> seen.add("PRE_REMAP " + txn.origin())))
        .add(HttpHookId.POST_REMAP, new Continuation((event, data) -> {
          HttpTxn txn = (HttpTxn) data;
          seen.add("POST_REMAP " + txn.origin());
          assertNull(txn.serverRequest(), "the origin's request is built after POST_REMAP");
          txn.clientRequest().headers().set("X-Route", "checked");
          txn.reenable();
        }))
        .add(HttpHookId.SEND_REQUEST_HDR, HttpHooksTest.hook(txn -> seen.add("SEND_REQUEST_HDR " + txn.origin())))
        .build();
    try (HttpRig rig = rig(hooks)) {
      TestOrigin origin = rig.origin(ORIGIN, req -> OK);
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      assertEquals("ok", c.response().body());
      assertEquals(List.of("READ_REQUEST_HDR null", "PRE_REMAP null", "POST_REMAP " + ORIGIN,
          "SEND_REQUEST_HDR " + ORIGIN), seen);
      assertEquals("checked", origin.requests.get(0).head().headers().get("X-Route"));
    }
  }

  @Test
  void a_held_post_remap_hook_has_not_connected_the_origin() {
    AtomicReference<HttpTxn> held = new AtomicReference<>();
    HttpHooks hooks = HttpHooks.builder().add(HttpHookId.POST_REMAP, HttpHooksTest.holding(held)).build();
    try (HttpRig rig = rig(hooks)) {
      TestOrigin origin = rig.origin(ORIGIN, req -> OK);
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      assertEquals(ORIGIN, held.get().origin());
      assertEquals(List.of(), rig.connectAttempts, "POST_REMAP runs before the origin is connected");
      held.get().reenable();
      rig.run();
      assertEquals(List.of(ORIGIN), rig.connectAttempts);
      assertEquals("ok", c.response().body());
      assertEquals(1, origin.requests.size());
    }
  }

  @ParameterizedTest
  @EnumSource(value = HttpHookId.class, names = {"PRE_REMAP", "POST_REMAP"})
  void http_error_at_a_remap_hook_answers_the_error_status_without_an_origin_connection(HttpHookId id) {
    List<Integer> closed = new ArrayList<>();
    HttpHooks hooks = HttpHooks.builder()
        .add(id, new Continuation((event, data) -> {
          HttpTxn txn = (HttpTxn) data;
          txn.setErrorStatus(403);
          txn.reenable(Event.HTTP_ERROR);
        }))
        .add(HttpHookId.TXN_CLOSE, HttpHooksTest.hook(txn -> closed.add(txn.status())))
        .build();
    try (HttpRig rig = rig(hooks)) {
      TestOrigin origin = rig.origin(ORIGIN, req -> OK);
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      HttpBadInputTest.assertErrorKeptAlive(rig, c, 403);
      assertEquals(List.of(), rig.connectAttempts);
      assertTrue(origin.requests.isEmpty());
      assertEquals(List.of(403), closed);
    }
  }

  @Test
  void a_request_no_rule_matches_runs_pre_remap_but_not_post_remap() {
    List<String> seen = new ArrayList<>();
    HttpHooks hooks = HttpHooks.builder()
        .add(HttpHookId.PRE_REMAP, HttpHooksTest.hook(txn -> seen.add("PRE_REMAP")))
        .add(HttpHookId.POST_REMAP, HttpHooksTest.hook(txn -> seen.add("POST_REMAP")))
        .build();
    try (HttpRig rig = rig(hooks)) {
      HttpRig.Client c = rig.client();
      c.send("GET /a HTTP/1.1\r\nHost: nowhere.test\r\n\r\n");
      rig.run();
      HttpBadInputTest.assertErrorKeptAlive(rig, c, 404);
      assertEquals(List.of("PRE_REMAP"), seen, "remap chose no origin: there is nothing for POST_REMAP");
    }
  }

  @Test
  void per_transaction_remap_hooks_added_at_read_request_hdr_run_after_the_global_ones() {
    List<String> seen = new ArrayList<>();
    HttpHooks hooks = HttpHooks.builder()
        .add(HttpHookId.READ_REQUEST_HDR, HttpHooksTest.hook(txn -> {
          txn.addHook(HttpHookId.PRE_REMAP, HttpHooksTest.hook(t -> seen.add("own PRE_REMAP")));
          txn.addHook(HttpHookId.POST_REMAP, HttpHooksTest.hook(t -> seen.add("own POST_REMAP " + t.origin())));
        }))
        .add(HttpHookId.PRE_REMAP, HttpHooksTest.hook(txn -> seen.add("global PRE_REMAP")))
        .build();
    try (HttpRig rig = rig(hooks)) {
      rig.origin(ORIGIN, req -> OK);
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      assertEquals("ok", c.response().body());
      assertEquals(List.of("global PRE_REMAP", "own PRE_REMAP", "own POST_REMAP " + ORIGIN), seen);
    }
  }

  @Test
  void set_client_request_at_post_remap_throws_naming_the_hooks_that_allow_it() {
    AtomicReference<RuntimeException> thrown = new AtomicReference<>();
    HttpHooks hooks = HttpHooks.builder().add(HttpHookId.POST_REMAP, HttpHooksTest.hook(txn ->
        thrown.set(assertThrows(IllegalStateException.class, () -> txn.setClientRequest(txn.clientRequest())))))
        .build();
    try (HttpRig rig = rig(hooks)) {
      rig.origin(ORIGIN, req -> OK);
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      assertEquals("ok", c.response().body());
      assertEquals("setClientRequest is allowed only while the transaction is stopped at "
          + "[READ_REQUEST_HDR, PRE_REMAP], it is at POST_REMAP", thrown.get().getMessage());
    }
  }

  @ParameterizedTest
  @EnumSource(value = HttpHookId.class, names = {"PRE_REMAP", "POST_REMAP"})
  void a_remap_hook_may_hold_the_transaction_longer_than_the_timeouts(HttpHookId id) {
    AtomicReference<HttpTxn> held = new AtomicReference<>();
    HttpHooks hooks = HttpHooks.builder().add(id, HttpHooksTest.holding(held)).build();
    try (HttpRig rig = new HttpRig(b -> b.hooks(hooks)
        .remap(RemapRule.parse("http://example.test/", "http://" + ORIGIN + "/"))
        .timeouts(HttpTimeouts.defaults().withInactivity(Duration.ofSeconds(5)).withHeader(Duration.ofSeconds(5))
            .withResponse(Duration.ofSeconds(5)).withKeepAliveIdle(Duration.ofSeconds(5))))) {
      rig.origin(ORIGIN, req -> OK);
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      rig.advance(Duration.ofSeconds(30));
      assertEquals("", c.received(), "nothing happens while the hook holds the transaction");
      assertFalse(c.eos);
      held.get().reenable();
      rig.run();
      assertEquals("ok", c.response().body());
    }
  }

  @Test
  void a_client_that_leaves_while_post_remap_holds_gets_no_origin_connection_and_the_session_ends_after_reenable() {
    AtomicReference<HttpTxn> held = new AtomicReference<>();
    List<String> ends = new ArrayList<>();
    HttpHooks hooks = HttpHooks.builder()
        .add(HttpHookId.POST_REMAP, HttpHooksTest.holding(held))
        .add(HttpHookId.TXN_CLOSE, HttpHooksTest.hook(txn -> ends.add("TXN_CLOSE")))
        .add(HttpHookId.SSN_CLOSE, HttpSessionHooksTest.ssnHook(ssn -> ends.add("SSN_CLOSE")))
        .build();
    try (HttpRig rig = rig(hooks)) {
      rig.origin(ORIGIN, req -> OK);
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      c.vconn.abort(Errno.ECONNRESET, null);
      rig.run();
      assertEquals(0, rig.proxy.openSessions(), "the connection is freed at once");
      assertEquals(List.of(), ends, "the transaction ends when the hook reenables");
      held.get().reenable();
      rig.run();
      assertEquals(List.of("TXN_CLOSE", "SSN_CLOSE"), ends);
      assertEquals(List.of(), rig.connectAttempts, "nobody is left to answer: no origin connection");
    }
  }

  @Test
  void an_intercept_set_at_pre_remap_skips_remap_and_post_remap_sees_intercept() {
    HttpInterceptTest.Server[] servers = new HttpInterceptTest.Server[1];
    List<String> seen = new ArrayList<>();
    HttpHooks hooks = HttpHooks.builder()
        .add(HttpHookId.PRE_REMAP, HttpHooksTest.hook(txn -> txn.intercept(servers[0].cont)))
        .add(HttpHookId.POST_REMAP, HttpHooksTest.hook(txn -> seen.add(txn.origin())))
        .build();
    try (HttpRig rig = rig(hooks)) {
      servers[0] = new HttpInterceptTest.Server(rig.pool, HttpInterceptTest.Ending.CLOSE, false,
          req -> "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nfrom a plugin");
      HttpRig.Client c = rig.client();
      c.send("GET /a HTTP/1.1\r\nHost: nowhere.test\r\n\r\n"); // no rule for this host: remap is not asked
      rig.run();
      assertEquals("from a plugin", c.response().body());
      assertEquals(List.of("intercept"), seen);
      assertEquals(List.of(), rig.connectAttempts);
    }
  }

  @Test
  void connect_runs_the_remap_hooks_and_a_target_rewritten_at_pre_remap_meets_the_port_allow_list() {
    List<String> seen = new ArrayList<>();
    HttpHooks hooks = HttpHooks.builder()
        .add(HttpHookId.PRE_REMAP, HttpHooksTest.hook(txn -> {
          seen.add("PRE_REMAP " + txn.clientRequest().target());
          HttpRequestHead r = txn.clientRequest();
          txn.setClientRequest(new HttpRequestHead(r.method(), "secure.test:25", r.version(), r.headers()));
        }))
        .add(HttpHookId.POST_REMAP, HttpHooksTest.hook(txn -> seen.add("POST_REMAP " + txn.origin())))
        .build();
    try (HttpRig rig = new HttpRig(b -> b.connectPorts(Set.of(443)).hooks(hooks))) {
      new ManualOrigin(rig, "secure.test:25");
      HttpRig.Client c = rig.client();
      c.send("CONNECT secure.test:443 HTTP/1.1\r\nHost: secure.test:443\r\n\r\n");
      rig.run();
      assertEquals(403, c.response().status());
      assertEquals(List.of("PRE_REMAP secure.test:443"), seen, "refused before POST_REMAP");
      assertEquals(List.of(), rig.connectAttempts);
    }
  }

  @Test
  void post_remap_of_a_connect_sees_its_target_as_the_origin_before_it_is_connected() {
    AtomicReference<HttpTxn> held = new AtomicReference<>();
    HttpHooks hooks = HttpHooks.builder().add(HttpHookId.POST_REMAP, HttpHooksTest.holding(held)).build();
    try (HttpRig rig = new HttpRig(b -> b.connectPorts(Set.of(443)).hooks(hooks))) {
      ManualOrigin target = new ManualOrigin(rig, "secure.test:443");
      HttpRig.Client c = rig.client();
      c.send("CONNECT secure.test:443 HTTP/1.1\r\nHost: secure.test:443\r\n\r\n");
      rig.run();
      assertEquals("secure.test:443", held.get().origin());
      assertEquals(List.of(), rig.connectAttempts);
      held.get().reenable();
      rig.run();
      assertEquals(List.of("secure.test:443"), rig.connectAttempts);
      assertEquals("HTTP/1.1 200 Connection Established\r\nDate: " + HttpRig.DATE + "\r\n\r\n", c.received());
      c.close();
      target.last().close();
      rig.run();
    }
  }
}
