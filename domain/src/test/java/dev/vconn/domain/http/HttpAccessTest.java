package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Errno;
import dev.vconn.domain.VConnError;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Access control on the client address, the access log record and line, and the proxy's counters. */
class HttpAccessTest {
  static final String ORIGIN = "10.0.0.1:8080";
  static final String GET = "GET /a HTTP/1.1\r\nHost: example.test\r\n\r\n";
  static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
  static final SocketAddress BLOCKED = new InetSocketAddress("10.9.1.1", 5000);

  @Nested
  class AccessControlRules {
    final List<SocketAddress> asked = new ArrayList<>();

    HttpRig rig() {
      return new HttpRig(b -> b
          .remap(RemapRule.parse("http://example.test/", "http://" + ORIGIN + "/"))
          .accessControl(client -> {
            asked.add(client);
            return client.equals(BLOCKED) ? Optional.of("10.9.0.0/16 is not allowed") : Optional.empty();
          }));
    }

    @Test
    void denied_in_process_client_reads_eos_writes_error_and_can_read_the_reason() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client("fetcher", 3, BLOCKED);
        rig.run();
        assertTrue(c.eos, "the reader gets EOS");
        assertTrue(c.writeError, "the writer gets ERROR");
        assertFalse(c.readError);
        VConnError error = c.vconn.error();
        assertEquals(Errno.EACCES, error.errno());
        assertTrue(error.cause().getMessage().contains("10.9.0.0/16 is not allowed"), error.cause().getMessage());
        assertTrue(error.cause().getMessage().contains("10.9.1.1"), "names the client: " + error.cause().getMessage());
        assertEquals(List.of(BLOCKED), asked, "decided on the connect options' client address");
        HttpStats.Snapshot s = rig.proxy.stats().snapshot();
        assertEquals(1, s.deniedConnections());
        assertEquals(0, s.connections(), "a denied client never becomes a session");
        assertEquals(0, rig.proxy.openSessions());
        assertEquals(0, origin.connections());
        assertEquals(0, rig.log.size(), "no transaction, no log record");
      }
    }

    @Test
    void allowed_client_is_served_next_to_a_denied_one() {
      try (HttpRig rig = rig()) {
        rig.origin(ORIGIN, req -> OK);
        HttpRig.Client denied = rig.client("a", 1, BLOCKED);
        HttpRig.Client allowed = rig.client("b", 2, HttpRig.CLIENT);
        allowed.send(GET);
        rig.run();
        assertTrue(denied.eos);
        assertEquals("hello", allowed.response().body());
        assertFalse(allowed.eos);
        assertEquals(1, rig.proxy.stats().snapshot().deniedConnections());
        assertEquals(1, rig.proxy.stats().snapshot().connections());
      }
    }

    @Test
    void request_from_a_denied_client_goes_nowhere() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client("fetcher", 3, BLOCKED);
        c.send(GET);
        rig.run();
        assertEquals("", c.received());
        assertEquals(0, origin.requests.size());
      }
    }
  }

  @Nested
  class AccessLogRecords {
    HttpRig rig() {
      return new HttpRig(b -> b.remap(RemapRule.parse("http://example.test/", "http://" + ORIGIN + "/")));
    }

    @Test
    void one_record_per_transaction_with_exact_fields() {
      try (HttpRig rig = rig()) {
        rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client("fetcher", 42, HttpRig.CLIENT);
        c.send(GET);
        rig.run();
        assertEquals(1, rig.log.size());
        AccessLogRecord r = rig.log.get(0);
        assertEquals(HttpRig.CLIENT, r.client());
        assertEquals("GET", r.method());
        assertEquals("/a", r.url());
        assertEquals(200, r.status());
        assertEquals(39, GET.length());
        assertEquals(39, r.bytesIn());
        // HTTP/1.1 200 OK (17) + Content-Length: 5 (19) + Via: 1.1 vconn (16) + CRLF (2) + hello (5)
        assertEquals(59, r.bytesOut());
        assertEquals(c.received().length(), r.bytesOut());
        assertEquals(0, r.durationMillis(), "no virtual time passed");
        assertEquals(ORIGIN, r.origin());
        assertEquals("fetcher", r.pluginTag());
        assertEquals(42, r.pluginId());
        assertTrue(r.internal());
        assertEquals("client=127.0.0.1:40000 method=GET url=/a status=200 in=39 out=59 ms=0 origin=10.0.0.1:8080"
            + " pitag=fetcher piid=42 cqint=1", r.toLogLine());
      }
    }

    @Test
    void protocol_user_agent_referer_start_time_and_time_to_the_origin_answer_are_recorded() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> OK);
        origin.defer = true;
        HttpRig.Client c = rig.client();
        Instant before = Instant.now();
        c.send("GET /a HTTP/1.0\r\nHost: example.test\r\nUser-Agent: kit/1.0 \"x\"\r\nReferer: http://r.test/\r\n\r\n");
        rig.run();
        rig.advance(Duration.ofMillis(40));
        origin.answerDeferred();
        rig.run();
        Instant after = Instant.now();
        AccessLogRecord r = rig.log.get(0);
        assertEquals("HTTP/1.0", r.protocol());
        assertEquals("kit/1.0 \"x\"", r.userAgent());
        assertEquals("http://r.test/", r.referer());
        assertEquals(40, r.originMillis(), "the origin's response head came 40 ms (loop clock) after the request");
        assertNull(r.originTls(), "a plain-text origin has no TLS facts");
        assertFalse(r.toLogLine().contains("otls="), r.toLogLine());
        // The start by the wall clock: now minus the loop-clock duration, so within the real time the test took.
        assertFalse(r.time().isAfter(after), r.time() + " after " + after);
        assertFalse(r.time().isBefore(before.minusMillis(r.durationMillis())), r.time() + " before " + before);
      }
    }

    @Test
    void a_request_without_agent_or_referer_and_a_rejected_head_record_them_as_missing() {
      try (HttpRig rig = rig()) {
        rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client();
        c.send(GET);
        rig.run();
        c.send("NONSENSE\r\n\r\n");
        rig.run();
        AccessLogRecord ok = rig.log.get(0);
        assertEquals("HTTP/1.1", ok.protocol());
        assertNull(ok.userAgent());
        assertNull(ok.referer());
        assertEquals(0, ok.originMillis());
        AccessLogRecord rejected = rig.log.get(1);
        assertEquals("-", rejected.protocol());
        assertEquals(-1, rejected.originMillis(), "no origin answered");
      }
    }

    @Test
    void bytes_in_count_the_request_body_with_its_framing() {
      try (HttpRig rig = rig()) {
        rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client();
        String cl = "POST /p HTTP/1.1\r\nHost: example.test\r\nContent-Length: 3\r\n\r\nabc";
        String chunked = "POST /p HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "3\r\nabc\r\n0\r\n\r\n";
        c.send(cl);
        rig.run();
        c.send(chunked);
        rig.run();
        assertEquals(2, rig.log.size());
        assertEquals(cl.length(), rig.log.get(0).bytesIn());
        assertEquals(chunked.length(), rig.log.get(1).bytesIn());
        assertEquals(c.received().length(), rig.log.get(0).bytesOut() + rig.log.get(1).bytesOut());
      }
    }

    @Test
    void duration_is_measured_on_the_loop_clock() {
      try (HttpRig rig = rig()) {
        TestOrigin origin = rig.origin(ORIGIN, req -> OK);
        origin.defer = true;
        HttpRig.Client c = rig.client();
        c.send(GET);
        rig.run();
        rig.advance(Duration.ofMillis(250));
        origin.answerDeferred();
        rig.run();
        assertEquals(250, rig.log.get(0).durationMillis());
      }
    }

    @Test
    void rejected_head_is_logged_with_dashes() {
      try (HttpRig rig = rig()) {
        HttpRig.Client c = rig.client();
        c.send("NONSENSE\r\n\r\n");
        rig.run();
        AccessLogRecord r = rig.log.get(0);
        assertEquals("-", r.method());
        assertEquals("-", r.url());
        assertEquals(400, r.status());
        assertEquals("-", r.origin());
        assertEquals(12, r.bytesIn());
        assertEquals(c.received().length(), r.bytesOut());
        assertTrue(r.toLogLine().contains(" method=- url=- status=400 "), r.toLogLine());
      }
    }

    @Test
    void pipelined_transactions_get_one_record_each_in_order() {
      try (HttpRig rig = rig()) {
        rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client();
        c.send(GET + GET.replace("/a", "/b") + GET.replace("/a", "/c"));
        rig.run();
        assertEquals(List.of("/a", "/b", "/c"), rig.log.stream().map(AccessLogRecord::url).toList());
        assertEquals(c.received().length(), rig.log.stream().mapToLong(AccessLogRecord::bytesOut).sum());
      }
    }

    @Test
    void network_client_line_has_dash_tag_zero_id_and_cqint_0() {
      AccessLogRecord r = new AccessLogRecord(new InetSocketAddress("192.0.2.7", 41000), "HEAD", "/x", 304, 40, 120,
          7, "origin.test:80", null, 0, false);
      assertEquals("client=192.0.2.7:41000 method=HEAD url=/x status=304 in=40 out=120 ms=7 origin=origin.test:80"
          + " pitag=- piid=0 cqint=0", r.toLogLine());
      assertNull(new AccessLogRecord(null, "-", "-", 0, 0, 0, 0, "-", null, 0, false).client());
      assertTrue(new AccessLogRecord(null, "-", "-", 0, 0, 0, 0, "-", null, 0, false).toLogLine()
          .startsWith("client=- "));
    }

    @Test
    void a_disabled_access_log_gets_no_records_and_the_stats_count_as_before() {
      List<AccessLogRecord> seen = new ArrayList<>();
      AccessLog disabled = new AccessLog() {
        @Override
        public void log(AccessLogRecord record) {
          seen.add(record);
        }

        @Override
        public boolean enabled() {
          return false;
        }
      };
      try (HttpRig rig = new HttpRig(b -> b
          .remap(RemapRule.parse("http://example.test/", "http://" + ORIGIN + "/"))
          .accessLog(disabled))) {
        rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client();
        c.send(GET + GET);
        rig.run();
        assertEquals(2, c.responses().size());
        assertEquals(List.of(), seen, "a disabled log is not called: no record is built for it");
        HttpStats.Snapshot s = rig.proxy.stats().snapshot();
        assertEquals(2, s.transactions());
        assertEquals(c.received().length(), s.bytesOut());
      }
    }

    @Test
    void and_then_leaves_out_a_disabled_log_and_still_feeds_both_enabled_ones() {
      List<String> seen = new ArrayList<>();
      AccessLog first = r -> seen.add("first " + r.status());
      AccessLog second = r -> seen.add("second " + r.status());
      assertFalse(AccessLog.NONE.enabled());
      assertTrue(first.enabled());
      assertEquals(first, first.andThen(AccessLog.NONE));
      assertEquals(second, AccessLog.NONE.andThen(second));
      assertFalse(AccessLog.NONE.andThen(AccessLog.NONE).enabled());
      AccessLog both = first.andThen(second);
      assertTrue(both.enabled());
      both.log(new AccessLogRecord(null, "GET", "/", 204, 0, 0, 0, "-", null, 0, false));
      assertEquals(List.of("first 204", "second 204"), seen);
    }

    @Test
    void a_throwing_access_log_does_not_break_the_session() {
      try (HttpRig rig = new HttpRig(b -> b
          .remap(RemapRule.parse("http://example.test/", "http://" + ORIGIN + "/"))
          .accessLog(record -> {
            throw new IllegalStateException("log sink down");
          }))) {
        rig.origin(ORIGIN, req -> OK);
        HttpRig.Client c = rig.client();
        c.send(GET + GET);
        rig.run();
        assertEquals(2, c.responses().size());
        assertFalse(c.eos);
      }
    }
  }

  @Test
  void stats_count_connections_transactions_errors_and_bytes() {
    try (HttpRig rig = new HttpRig(b -> b
        .remap(RemapRule.parse("http://example.test/", "http://" + ORIGIN + "/"))
        .accessControl(client -> client.equals(BLOCKED) ? Optional.of("no") : Optional.empty()))) {
      rig.origin(ORIGIN, req -> OK);
      HttpRig.Client a = rig.client();
      a.send(GET);
      rig.run();
      a.send(GET);
      rig.run();
      HttpRig.Client b = rig.client();
      b.send("BAD\r\n\r\n");
      rig.run();
      rig.client("x", 0, BLOCKED);
      rig.run();
      HttpStats.Snapshot s = rig.proxy.stats().snapshot();
      assertEquals(2, s.connections());
      assertEquals(2, s.activeConnections(), "the errored one lingers until its client closes");
      assertEquals(2, s.inProcessConnections());
      assertEquals(0, s.networkConnections());
      assertEquals(1, s.deniedConnections());
      assertEquals(3, s.transactions());
      assertEquals(3, s.inProcessTransactions());
      assertEquals(0, s.networkTransactions());
      assertEquals(1, s.errorResponses());
      assertEquals(2L * GET.length() + "BAD\r\n\r\n".length(), s.bytesIn());
      assertEquals(a.received().length() + b.received().length(), s.bytesOut());
      assertEquals(rig.log.stream().mapToLong(AccessLogRecord::bytesOut).sum(), s.bytesOut());
      b.close();
      assertEquals(1, rig.proxy.stats().snapshot().activeConnections());
    }
  }
}
