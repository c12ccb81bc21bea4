package dev.vconn.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.app.support.TestServer;
import dev.vconn.domain.http.HttpHookId;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * The one {@code READ_REQUEST_HDR} router is there exactly when some interceptor is (docs/server.md): a server with
 * none runs no hook per request, and one with interceptors still serves them through the router.
 */
class InterceptRouterWiringTest {

  @Test
  void a_server_without_interceptors_runs_no_hook_at_read_request_hdr() throws Exception {
    try (TestServer s = TestServer.start("nio", "--builtin-routes", "false", "--fanout", "false")) {
      assertEquals(0, s.server.proxy().config().hooks().get(HttpHookId.READ_REQUEST_HDR).size(),
          "no interceptor: no router hook");
      HttpResponse<String> r = s.get("/");
      assertEquals(404, r.statusCode(), "nothing intercepts and no remap rule matches: " + r.body());
    }
  }

  @Test
  void a_server_with_interceptors_serves_them_through_the_router() throws Exception {
    try (TestServer s = TestServer.start("nio", "--fanout", "false")) {
      assertEquals(1, s.server.proxy().config().hooks().get(HttpHookId.READ_REQUEST_HDR).size(),
          "the built-in routes are interceptors: one router hook");
      HttpResponse<String> r = s.get("/");
      assertEquals(200, r.statusCode());
      assertTrue(r.body().contains("/echo"), r.body());
    }
  }
}
