package dev.vconn.domain.http;

import static dev.vconn.domain.http2.Http2TestClient.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Event;
import dev.vconn.domain.http2.Http2Config;
import dev.vconn.domain.http2.Http2ErrorCode;
import dev.vconn.domain.http2.Http2ServerSession;
import dev.vconn.domain.http2.Http2StreamConnector;
import dev.vconn.domain.http2.Http2TestClient;
import dev.vconn.domain.http2.hpack.HeaderField;
import dev.vconn.domain.pair.VConnPair;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 streams through the real HTTP/1.1 proxy state machine: the session's connector opens in-process pairs
 * tagged {@code h2} with the client connection's id, exactly as {@code HttpConnector} does, so every stream is an
 * ordinary transaction (remap, origin pool, access log with {@code pitag=h2 piid=<id> cqint=1}). Virtual time; the
 * rig checks that every pair is freed and every block returned.
 */
class Http2ProxySessionTest {
  static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

  /** One HTTP/2 client connection into the rig's proxy. */
  static final class H2 {
    final VConnPair conn;
    final Http2ServerSession session;
    final Http2TestClient client;
    int connects;

    H2(HttpRig rig, long id, Http2Config config) {
      Http2StreamConnector connector = (connectionId, address) -> {
        connects++;
        VConnPair pair = VConnPair.open(rig.loop, new VConnPair.Options("h2", connectionId, 8, 0, address));
        rig.pairs.add(pair);
        ContinuationScheduler.dispatch(rig.loop, rig.proxy.sessionAcceptor(), Event.NET_ACCEPT, pair.passive());
        return pair.active();
      };
      conn = VConnPair.open(rig.loop, VConnPair.Options.defaults());
      rig.pairs.add(conn);
      session = Http2ServerSession.start(conn.passive(), null, connector, config, rig.pool, id, HttpRig.CLIENT);
      client = new Http2TestClient(conn.active(), rig.pool);
      rig.closers.add(client::close);
      client.start();
    }
  }

  static HttpRig rig(Consumer<HttpProxyConfig.Builder> extra) {
    return new HttpRig(b -> {
      b.remap(RemapRule.parse("https://example.test/", "http://10.0.0.1:8080/"));
      extra.accept(b);
    });
  }

  @Test
  void get_and_post_are_ordinary_transactions_logged_with_pitag_h2() {
    try (HttpRig rig = rig(b -> {})) {
      TestOrigin origin = rig.origin("10.0.0.1:8080", req -> req.head().method().equals("POST")
          ? "HTTP/1.1 200 OK\r\nContent-Length: " + req.body().length() + "\r\n\r\n" + req.body() : OK);
      H2 h2 = new H2(rig, 42, Http2Config.defaults());
      h2.client.get(1, "/a");
      rig.run();
      assertEquals("hello", h2.client.response(1).bodyText());
      h2.client.headers(3, false, request("POST", "/p")).data(3, "posted", true);
      rig.run();
      assertEquals(200, h2.client.response(3).status());
      assertEquals("posted", h2.client.response(3).bodyText());
      assertEquals("/p", origin.requests.get(1).head().target());
      assertEquals(2, rig.log.size());
      for (AccessLogRecord r : rig.log) {
        assertTrue(r.toLogLine().contains("pitag=h2 piid=42 cqint=1"), r.toLogLine());
      }
      assertEquals(1, h2.connects, "the second stream reused the pooled in-process connection");
    }
  }

  @Test
  void concurrent_streams_and_a_slow_reader() {
    String big = "b".repeat(300_000);
    try (HttpRig rig = rig(b -> {})) {
      rig.origin("10.0.0.1:8080", req -> req.head().target().equals("/big")
          ? "HTTP/1.1 200 OK\r\nContent-Length: 300000\r\n\r\n" + big : OK);
      H2 h2 = new H2(rig, 1, Http2Config.defaults());
      h2.client.holdWindow(1);
      h2.client.get(1, "/big");
      rig.run();
      for (int i = 0; i < 5; i++) {
        h2.client.get(3 + 2 * i, "/small" + i);
      }
      rig.run();
      for (int i = 0; i < 5; i++) {
        assertEquals("hello", h2.client.response(3 + 2 * i).bodyText(), "stream " + (3 + 2 * i));
      }
      assertEquals(65_535, h2.client.response(1).body().length, "the slow stream waits for its window");
      h2.client.releaseWindow(1, 1 << 30);
      rig.run();
      assertEquals(big, h2.client.response(1).bodyText());
      assertTrue(h2.client.response(1).ended());
    }
  }

  @Test
  void an_unreachable_origin_is_the_proxys_502_on_that_stream_only() {
    try (HttpRig rig = rig(b -> {})) {
      rig.origin("10.0.0.1:8080", req -> OK).refuse = true;
      H2 h2 = new H2(rig, 1, Http2Config.defaults());
      h2.client.get(1, "/x");
      rig.run();
      assertEquals(502, h2.client.response(1).status());
      assertTrue(h2.client.response(1).ended());
      assertEquals(null, h2.client.goAwayFrame());
    }
  }

  @Test
  void a_client_reset_mid_response_aborts_only_that_transaction() {
    try (HttpRig rig = rig(b -> {})) {
      TestOrigin origin = rig.origin("10.0.0.1:8080", req -> OK);
      origin.defer = true;
      H2 h2 = new H2(rig, 1, Http2Config.defaults());
      h2.client.get(1, "/a").get(3, "/b");
      rig.run();
      h2.client.rst(1, Http2ErrorCode.CANCEL);
      rig.run();
      origin.answerDeferred();
      rig.run();
      assertEquals(null, h2.client.response(1).headers());
      assertEquals("hello", h2.client.response(3).bodyText());
      assertEquals(0, h2.session.openStreams());
    }
  }

  @Test
  void drain_finishes_in_flight_streams_then_closes() {
    try (HttpRig rig = rig(b -> {})) {
      TestOrigin origin = rig.origin("10.0.0.1:8080", req -> OK);
      origin.defer = true;
      H2 h2 = new H2(rig, 1, Http2Config.defaults());
      h2.client.get(1, "/a");
      rig.run();
      h2.session.drain();
      rig.run();
      assertEquals(Http2ErrorCode.NO_ERROR, h2.client.goAwayFrame().errorCode());
      origin.answerDeferred();
      rig.run();
      assertEquals("hello", h2.client.response(1).bodyText());
      assertTrue(h2.session.closed().isDone());
      assertTrue(h2.client.eos());
    }
  }

  @Test
  void an_idle_session_closes_and_its_pooled_in_process_connections_with_it() {
    try (HttpRig rig = rig(b -> {})) {
      rig.origin("10.0.0.1:8080", req -> OK);
      H2 h2 = new H2(rig, 1, Http2Config.builder().idleTimeout(Duration.ofSeconds(30)).build());
      h2.client.get(1, "/a").headers(3, true, request("GET", "/b", new HeaderField("accept", "*/*")));
      rig.run();
      assertEquals(2, rig.log.size());
      rig.advance(Duration.ofSeconds(31));
      assertEquals(Http2ErrorCode.NO_ERROR, h2.client.goAwayFrame().errorCode());
      assertTrue(h2.session.closed().isDone());
    }
  }
}
