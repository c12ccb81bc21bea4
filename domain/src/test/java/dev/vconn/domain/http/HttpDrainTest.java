package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Graceful shutdown ({@code drain()}) and hard shutdown ({@code close()}). */
class HttpDrainTest {
  static final String ORIGIN = "10.0.0.1:8080";
  static final String GET = "GET /a HTTP/1.1\r\nHost: example.test\r\n\r\n";
  static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

  static HttpRig rig() {
    return new HttpRig(b -> b.remap(RemapRule.parse("http://example.test/", "http://" + ORIGIN + "/")));
  }

  @Test
  void drain_finishes_the_transaction_in_flight_with_connection_close_and_closes_idle_sessions() {
    try (HttpRig rig = rig()) {
      TestOrigin origin = rig.origin(ORIGIN, req -> OK);
      HttpRig.Client idle = rig.client();
      idle.send(GET);
      rig.run();
      assertEquals(200, idle.response().status());
      origin.defer = true;
      HttpRig.Client busy = rig.client();
      busy.send(GET);
      rig.run();

      CompletableFuture<Void> drained = rig.proxy.drain();
      rig.run();
      assertTrue(idle.eos, "an idle keep-alive session closes at once");
      assertFalse(busy.eos);
      assertFalse(drained.isDone(), "a transaction is still in flight");

      origin.answerDeferred();
      rig.run();
      Response r = busy.response();
      assertEquals("ok", r.body());
      assertEquals(List.of("close"), r.tokens("Connection"), "the last response says it is the last");
      assertTrue(busy.eos);
      busy.close();
      assertTrue(drained.isDone(), "every session is closed");
      assertEquals(0, rig.proxy.openSessions());
      assertEquals(2, rig.log.size());
    }
  }

  @Test
  void drain_completes_after_the_linger_timeout_if_the_client_never_closes() {
    try (HttpRig rig = rig()) {
      TestOrigin origin = rig.origin(ORIGIN, req -> OK);
      origin.defer = true;
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      CompletableFuture<Void> drained = rig.proxy.drain();
      origin.answerDeferred();
      rig.run();
      assertTrue(c.eos);
      assertFalse(drained.isDone());
      rig.advance(Duration.ofSeconds(2));
      assertTrue(drained.isDone());
    }
  }

  @Test
  void drain_lets_a_response_whose_head_was_sent_finish() {
    try (HttpRig rig = rig()) {
      ManualOrigin origin = new ManualOrigin(rig, ORIGIN);
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      origin.conn(0).send("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234");
      rig.run();
      CompletableFuture<Void> drained = rig.proxy.drain();
      rig.run();
      origin.conn(0).send("56789");
      rig.run();
      assertEquals("0123456789", c.response().body());
      assertTrue(c.eos, "closed after the response");
      c.close();
      assertTrue(drained.isDone());
    }
  }

  @Test
  void drain_refuses_new_connections_and_completes_at_once_when_nothing_is_open() {
    try (HttpRig rig = rig()) {
      CompletableFuture<Void> drained = rig.proxy.drain();
      assertTrue(drained.isDone());
      HttpRig.Client late = rig.client();
      late.send(GET);
      rig.run();
      assertTrue(late.eos, "refused like a closed listener");
      assertEquals("", late.received());
      assertEquals(0, rig.proxy.openSessions());
      assertEquals(0, rig.proxy.stats().snapshot().connections());
      assertSame(drained, rig.proxy.drain(), "idempotent: a second drain returns the same future");
      assertTrue(drained.isDone() && !drained.isCompletedExceptionally(), "completed normally");
    }
  }

  @Test
  void close_closes_idle_sessions_and_pooled_origin_connections() {
    try (HttpRig rig = rig()) {
      TestOrigin origin = rig.origin(ORIGIN, req -> OK);
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      assertEquals(1, rig.proxy.idleOriginConnections());
      rig.proxy.close();
      rig.run();
      assertTrue(c.eos);
      assertEquals(0, rig.proxy.openSessions());
      assertEquals(0, rig.proxy.idleOriginConnections());
      assertTrue(origin.conns.get(0).closed, "pooled origin connection closed");
      assertTrue(rig.proxy.drain().isDone(), "a closed proxy is drained");
    }
  }

  @Test
  void close_aborts_a_transaction_waiting_for_its_origin() {
    try (HttpRig rig = rig()) {
      TestOrigin origin = rig.origin(ORIGIN, req -> OK);
      origin.defer = true;
      HttpRig.Client c = rig.client();
      c.send(GET);
      rig.run();
      rig.proxy.close();
      rig.run();
      assertTrue(c.eos);
      assertEquals("", c.received(), "no response");
      assertTrue(origin.conns.get(0).closed, "the origin connection was closed");
      assertEquals(1, rig.log.size());
      assertEquals(0, rig.log.get(0).status());
      origin.answerDeferred(); // too late: nothing happens
      rig.run();
      assertEquals("", c.received());
    }
  }
}
