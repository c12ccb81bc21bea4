package dev.vconn.app.plugins;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.app.support.TestOrigin;
import dev.vconn.app.support.TestServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.SocketChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link AdoptedSocketIntercept}: a blocking socket, adopted, spliced to the intercept both ways. */
class AdoptedSocketInterceptTest {

  @ParameterizedTest
  @ValueSource(strings = {"nio", "netty"})
  void splices_requests_and_responses_both_ways(String transport) throws Exception {
    // The origin answers with the request body reversed, so both directions carry megabytes.
    try (TestOrigin origin = new TestOrigin((exchange, body) -> {
      byte[] reversed = new byte[body.length];
      for (int i = 0; i < body.length; i++) {
        reversed[i] = body[body.length - 1 - i];
      }
      TestOrigin.respond(exchange, 200, body.length == 0
          ? ("origin saw " + exchange.getRequestURI()).getBytes(java.nio.charset.StandardCharsets.UTF_8)
          : reversed);
    });
        TestServer s = TestServer.start(transport, "--intercept", "/adopted/=" + origin.authority(),
            "--stats-route", "true")) {
      HttpClient client = TestServer.newClient();
      HttpResponse<String> r = s.get(client, "/adopted/x?q=1");
      assertEquals(200, r.statusCode(), r.body());
      assertEquals("origin saw /adopted/x?q=1", r.body(), "the origin sees the request as forwarded");
      assertEquals("1.1 vconn", origin.requests.get(0).via());
      assertEquals("test", r.headers().firstValue("x-origin").orElse(""));

      byte[] upload = new byte[3 * 1024 * 1024 + 5];
      for (int i = 0; i < upload.length; i++) {
        upload[i] = (byte) (i * 31 + (i >> 12));
      }
      HttpResponse<byte[]> big = client.send(s.request("/adopted/reverse")
          .POST(HttpRequest.BodyPublishers.ofByteArray(upload)).build(), HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, big.statusCode());
      byte[] expected = new byte[upload.length];
      for (int i = 0; i < upload.length; i++) {
        expected[i] = upload[upload.length - 1 - i];
      }
      assertArrayEquals(expected, big.body());
      s.log.await(rec -> rec.origin().equals("intercept") && rec.status() == 200, 2);
      assertEquals(1, s.stats(client).get("networkConnections"), "the client kept one connection throughout");
      assertEquals(200, s.get("/bytes/3").statusCode(), "other paths are not intercepted");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"nio", "netty"})
  void an_unreachable_origin_gets_502(String transport) throws Exception {
    // A bound socket that never listens holds the port for the whole test, so connecting to it is refused. A port
    // merely closed before the server starts can be handed to the server's own listener (ephemeral ports are
    // reused): the intercept then connected to the proxy itself and looped (seen once in CI).
    try (SocketChannel holder = SocketChannel.open()) {
      holder.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      int refusedPort = ((InetSocketAddress) holder.getLocalAddress()).getPort();
      try (TestServer s = TestServer.start(transport, "--intercept", "/gone/=127.0.0.1:" + refusedPort)) {
        HttpResponse<String> r = s.get("/gone/x");
        assertEquals(502, r.statusCode());
        assertTrue(r.body().contains("unreachable"), r.body());
        assertEquals(200, s.get("/").statusCode());
      }
    }
  }

  @Test
  void routes_parse_prefix_host_and_port() {
    assertEquals(new AdoptedSocketIntercept.Route("/a/", "127.0.0.1", 80),
        AdoptedSocketIntercept.Route.parse("/a/=127.0.0.1:80"));
    assertEquals(new AdoptedSocketIntercept.Route("/", "::1", 8080),
        AdoptedSocketIntercept.Route.parse("/=[::1]:8080"));
    assertEquals("/=[::1]:8080", AdoptedSocketIntercept.Route.parse("/=[::1]:8080").toString());
    for (String bad : new String[] {"/a/", "a=127.0.0.1:80", "/a/=127.0.0.1", "/a/=127.0.0.1:0", "/a/=:80",
        "/a/=h:x"}) {
      assertThrows(IllegalArgumentException.class, () -> AdoptedSocketIntercept.Route.parse(bad), bad);
    }
  }
}
