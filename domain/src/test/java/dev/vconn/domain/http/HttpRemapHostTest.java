package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Remap reads the request's host where it lies in the {@code Host} field: the requests a client can shape around that
 * field (two Host fields, whitespace, ports, case, userinfo-like text, an absolute-form target naming another host,
 * an empty Host, bytes outside ASCII) get the status, the origin and the exact request at the origin they get when
 * the host is read as a String.
 */
class HttpRemapHostTest {
  static final String ORIGIN = "10.0.0.1:8080";
  static final String SIX = "10.0.0.6:8080";
  static final String LATIN = "10.0.0.7:8080";
  /** What follows the request line and Host at the origin, the same for every request that reaches one. */
  static final String FORWARDED_FIELDS = "Via: 1.1 vconn\r\n\r\n";

  /** A request, then what must happen: the status, the origin (null: none) and the request line and Host it gets. */
  record Case(String request, int status, String origin, String originHead) {}

  @Test
  void host_attack_bytes_get_the_same_status_origin_and_origin_request_as_a_string_comparison() {
    List<Case> cases = List.of(
        // Two Host fields, in either order: refused before remap.
        new Case("GET /a HTTP/1.1\r\nHost: example.test\r\nHost: evil.test\r\n\r\n", 400, null, null),
        new Case("GET /a HTTP/1.1\r\nHost: evil.test\r\nHost: example.test\r\n\r\n", 400, null, null),
        // Whitespace around the value, a tab, a port, an empty port, upper case: the host matches.
        new Case("GET /a HTTP/1.1\r\nHost:    example.test   \r\n\r\n", 200, ORIGIN, "GET /a HTTP/1.1|10.0.0.1:8080"),
        new Case("GET /a HTTP/1.1\r\nHost:\texample.test\t\r\n\r\n", 200, ORIGIN, "GET /a HTTP/1.1|10.0.0.1:8080"),
        new Case("GET /a HTTP/1.1\r\nHost: example.test:8080\r\n\r\n", 200, ORIGIN, "GET /a HTTP/1.1|10.0.0.1:8080"),
        new Case("GET /a HTTP/1.1\r\nHost: example.test:\r\n\r\n", 200, ORIGIN, "GET /a HTTP/1.1|10.0.0.1:8080"),
        new Case("GET /a HTTP/1.1\r\nHost: EXAMPLE.Test\r\n\r\n", 200, ORIGIN, "GET /a HTTP/1.1|10.0.0.1:8080"),
        // Everything after the first colon is the port, whatever it holds: the host is what comes before it.
        new Case("GET /a HTTP/1.1\r\nHost: example.test:80@evil.test\r\n\r\n", 200, ORIGIN,
            "GET /a HTTP/1.1|10.0.0.1:8080"),
        // Near misses: another host, a longer or shorter one, a trailing dot, a list, a space inside, no host.
        new Case("GET /a HTTP/1.1\r\nHost: evil.test\r\n\r\n", 404, null, null),
        new Case("GET /a HTTP/1.1\r\nHost: example.test.evil\r\n\r\n", 404, null, null),
        new Case("GET /a HTTP/1.1\r\nHost: example.tes\r\n\r\n", 404, null, null),
        new Case("GET /a HTTP/1.1\r\nHost: example.test.\r\n\r\n", 404, null, null),
        new Case("GET /a HTTP/1.1\r\nHost: example.test, evil.test\r\n\r\n", 404, null, null),
        new Case("GET /a HTTP/1.1\r\nHost: example .test\r\n\r\n", 404, null, null),
        new Case("GET /a HTTP/1.1\r\nHost: :8080\r\n\r\n", 404, null, null),
        new Case("GET /a HTTP/1.1\r\nHost: \r\n\r\n", 404, null, null),
        new Case("GET /a HTTP/1.0\r\n\r\n", 404, null, null),
        // An absolute-form target names the host; Host is not looked at.
        new Case("GET http://example.test/a HTTP/1.1\r\nHost: evil.test\r\n\r\n", 200, ORIGIN,
            "GET /a HTTP/1.1|10.0.0.1:8080"),
        new Case("GET http://evil.test/a HTTP/1.1\r\nHost: example.test\r\n\r\n", 404, null, null),
        // Bracketed IPv6 literals keep their brackets; an unclosed bracket is not cut at a colon.
        new Case("GET /a HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", 200, SIX, "GET /six/a HTTP/1.1|10.0.0.6:8080"),
        new Case("GET /a HTTP/1.1\r\nHost: [::1]\r\n\r\n", 200, SIX, "GET /six/a HTTP/1.1|10.0.0.6:8080"),
        new Case("GET /a HTTP/1.1\r\nHost: [::1:8080\r\n\r\n", 404, null, null),
        // A host outside ASCII is compared lower-cased, as before.
        new Case("GET /a HTTP/1.1\r\nHost: \u00c9xample.test\r\n\r\n", 200, LATIN,
            "GET /latin/a HTTP/1.1|10.0.0.7:8080"),
        new Case("GET /a HTTP/1.1\r\nHost: \u00e9xample.test:1\r\n\r\n", 200, LATIN,
            "GET /latin/a HTTP/1.1|10.0.0.7:8080"));
    try (HttpRig rig = new HttpRig(b -> b
        .remap(RemapRule.parse("http://example.test/", "http://" + ORIGIN + "/"))
        .remap(new RemapRule("[::1]", "/", "10.0.0.6", 8080, "/six/"))
        .remap(new RemapRule("\u00e9xample.test", "/", "10.0.0.7", 8080, "/latin/")))) {
      List<TestOrigin> origins = List.of(rig.origin(ORIGIN, req -> HttpRequestsTest.ok("one")),
          rig.origin(SIX, req -> HttpRequestsTest.ok("six")), rig.origin(LATIN, req -> HttpRequestsTest.ok("latin")));
      List<String> seen = new ArrayList<>();
      for (Case c : cases) {
        int[] before = origins.stream().mapToInt(o -> o.requests.size()).toArray();
        HttpRig.Client client = rig.client();
        client.send(c.request());
        rig.run();
        assertEquals(c.status(), client.response().status(), c.request());
        AccessLogRecord logged = rig.log.get(rig.log.size() - 1);
        assertEquals(c.origin() == null ? "-" : c.origin(), logged.origin(), c.request());
        List<TestOrigin.Request> got = new ArrayList<>();
        for (int k = 0; k < origins.size(); k++) {
          List<TestOrigin.Request> requests = origins.get(k).requests;
          got.addAll(requests.subList(before[k], requests.size()));
        }
        if (c.originHead() == null) {
          assertEquals(List.of(), got, "nothing reached an origin: " + c.request());
          continue;
        }
        assertEquals(1, got.size(), c.request());
        HttpRequestHead head = got.get(0).head();
        assertEquals(c.originHead(), head.method() + " " + head.target() + " " + head.version() + "|"
            + String.join(",", head.headers().getAll(HttpHeaders.HOST)), c.request());
        assertEquals(FORWARDED_FIELDS, new String(head.toBytes(), StandardCharsets.ISO_8859_1)
            .replaceFirst("^[^\r]*\r\nHost: [^\r]*\r\n", ""), c.request());
        seen.add(c.request());
      }
      assertEquals(11, seen.size(), "cases that reached an origin");
    }
  }

}
