package dev.vconn.app.plugins;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.app.support.TestOrigin;
import dev.vconn.app.support.TestServer;
import dev.vconn.domain.http.AccessLogRecord;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link FanoutPlugin}: in-process requests through {@code HttpConnector}, merged, and tagged in the access log. */
class FanoutPluginTest {

  @ParameterizedTest
  @ValueSource(strings = {"nio", "netty"})
  void fans_out_in_process_and_merges_in_order_tagged_in_the_access_log(String transport) throws Exception {
    try (TestOrigin origin = new TestOrigin(TestOrigin.describing());
        TestServer s = TestServer.start(transport, "--remap", "http://*/api/=http://" + origin.authority() + "/",
            "--stats-route", "true")) {
      HttpResponse<String> r = s.get("/fanout?paths=/bytes/10,/api/thing,/echo,/bytes/100000");
      assertEquals(200, r.statusCode(), r.body());
      String body = r.body();
      assertTrue(body.startsWith("fanout: 4 in-process requests (pitag=fanout)\n"), body);
      int bytes = body.indexOf("--- GET /bytes/10 -> 200 (10 bytes, piid=");
      int api = body.indexOf("--- GET /api/thing -> 200 (");
      int echo = body.indexOf("--- GET /echo -> 200 (");
      int big = body.indexOf("--- GET /bytes/100000 -> 200 (100000 bytes, piid=");
      assertTrue(0 < bytes && bytes < api && api < echo && echo < big, body.substring(0, 600));
      assertTrue(body.contains("abcdefghij\n"), body.substring(0, 300));
      assertTrue(body.contains("origin saw GET /thing with 0 body bytes\n"));
      assertTrue(body.contains("\nGET /echo HTTP/1.1\n"), "the echo shows the internal request");

      List<AccessLogRecord> internal = s.log.await(AccessLogRecord::internal, 4);
      assertEquals(4, internal.size(), s.log.records().toString());
      for (AccessLogRecord rec : internal) {
        assertEquals(FanoutPlugin.TAG, rec.pluginTag());
        assertTrue(rec.toLogLine().contains("pitag=fanout piid=" + rec.pluginId() + " cqint=1"), rec.toLogLine());
        assertEquals(200, rec.status());
      }
      Set<Long> ids = internal.stream().map(AccessLogRecord::pluginId).collect(Collectors.toSet());
      assertEquals(4, ids.size(), "one id per connection: " + ids);
      assertTrue(ids.stream().allMatch(id -> id > 0));
      AccessLogRecord outer = s.log.await(rec -> rec.url().startsWith("/fanout"), 1).get(0);
      assertTrue(outer.toLogLine().contains("pitag=- piid=0 cqint=0"), outer.toLogLine());
      assertEquals(4, s.stats(s.client).get("inProcessConnections"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"nio"})
  void rejects_bad_path_lists_with_400(String transport) throws Exception {
    try (TestServer s = TestServer.start(transport)) {
      for (String query : new String[] {"", "?paths=", "?paths=nope", "?paths=/fanout?paths=/", "?other=/a",
          "?paths=" + "/a,".repeat(FanoutPlugin.MAX_PATHS + 1)}) {
        HttpResponse<String> r = s.get("/fanout" + query);
        assertEquals(400, r.statusCode(), query + ": " + r.body());
      }
      assertTrue(s.log.records().stream().noneMatch(AccessLogRecord::internal), "nothing was fetched");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"nio"})
  void a_part_that_fails_makes_the_answer_502_and_says_why(String transport) throws Exception {
    try (TestServer s = TestServer.start(transport)) {
      HttpResponse<String> r = s.get("/fanout?paths=/bytes/5,/bytes/" + (FanoutPlugin.MAX_PART_BYTES + 1));
      assertEquals(502, r.statusCode(), r.body());
      assertTrue(r.body().contains("--- GET /bytes/5 -> 200 (5 bytes"), r.body());
      assertTrue(r.body().contains("--- GET /bytes/" + (FanoutPlugin.MAX_PART_BYTES + 1)
          + " -> failed: response body larger than " + FanoutPlugin.MAX_PART_BYTES + " bytes"), r.body());
    }
  }
}
