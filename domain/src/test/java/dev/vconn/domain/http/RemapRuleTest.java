package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Parsing remap targets: http and https, default ports, the Host header sent to the origin. */
class RemapRuleTest {

  @Test
  void an_https_target_is_reached_over_tls_on_port_443_by_default() {
    RemapRule rule = RemapRule.parse("http://a.test/", "https://origin.test/v1/");
    assertTrue(rule.originTls());
    assertEquals(443, rule.originPort());
    assertEquals("origin.test", rule.originHostHeader(), "the default port is left out of Host");
    assertEquals("/v1/x", rule.map("a.test", "/x").orElseThrow());
  }

  @Test
  void an_https_target_with_a_port_names_it_in_host() {
    RemapRule rule = RemapRule.parse("http://a.test/", "HTTPS://origin.test:8443/");
    assertTrue(rule.originTls());
    assertEquals(8443, rule.originPort());
    assertEquals("origin.test:8443", rule.originHostHeader());
  }

  @Test
  void an_http_target_stays_plain_on_port_80_and_https_from_matches_the_same_requests() {
    RemapRule rule = RemapRule.parse("https://a.test/", "http://origin.test/");
    assertFalse(rule.originTls());
    assertEquals(80, rule.originPort());
    assertEquals("origin.test", rule.originHostHeader());
    assertTrue(rule.map("a.test", "/x").isPresent());
    assertFalse(new RemapRule("*", "/", "o.test", 443, "/").originTls(), "the five-part rule is plain HTTP");
    assertEquals("o.test:443", new RemapRule("*", "/", "o.test", 443, "/").originHostHeader());
  }

  @Test
  void any_other_scheme_is_refused_naming_both() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RemapRule.parse("http://a.test/", "ftp://origin.test/"));
    assertTrue(e.getMessage().contains("http:// or https://") && e.getMessage().contains("ftp://origin.test/"),
        e.getMessage());
  }

  @Test
  void map_path_gives_the_same_origin_paths_as_map_and_keeps_an_unchanged_path_as_it_is() {
    String[][] rules = {{"/", "/"}, {"/api/", "/v1/"}, {"/api", "/v1"}, {"/api/", "/"}, {"/", "/v1"}, {"/a", "/a"}};
    String[] paths = {"/", "/api", "/api/", "/api/x", "/api//x", "/apix", "/api?q=1", "/a/b", "/ab", "/a?x"};
    for (String[] r : rules) {
      RemapRule rule = new RemapRule("A.test", r[0], "o.test", 80, r[1]);
      for (String path : paths) {
        String expected = rule.map("a.TEST", path).orElse(null);
        assertEquals(expected, rule.mapPath("x a.test:1", 2, 8, path), r[0] + " -> " + r[1] + ": " + path);
        assertNull(rule.mapPath("x a.tesT:1", 2, 7, path), "a shorter host region does not match");
        assertNull(rule.mapPath(null, 0, 0, path), "no host matches only *");
      }
    }
    assertEquals("/v1/x", new RemapRule("a.test", "/api/", "o.test", 80, "/v1/").map("a.test", "/api/x").get());
    assertEquals("/v1/x", new RemapRule("a.test", "/api", "o.test", 80, "/v1").map("a.test", "/apix").get());
    assertEquals("/x", new RemapRule("a.test", "/api/", "o.test", 80, "/").map("a.test", "/api//x").get());
    String path = "/index.html?q=1";
    assertSame(path, new RemapRule("*", "/", "o.test", 80, "/").mapPath(null, 0, 0, path),
        "a rule mapping / to / allocates no new path");
  }

  @Test
  void an_origin_authority_is_recognised_in_place() {
    assertTrue(HttpSM.isAuthority("o.test:8080", "o.test", 8080));
    assertFalse(HttpSM.isAuthority("o.test:808", "o.test", 8080));
    assertFalse(HttpSM.isAuthority("o.test:08080", "o.test", 8080));
    assertFalse(HttpSM.isAuthority("o.testx:8080", "o.test", 8080));
    assertFalse(HttpSM.isAuthority("o.test:", "o.test", 8080));
    assertFalse(HttpSM.isAuthority("o.test:99999999999", "o.test", 8080));
    assertFalse(HttpSM.isAuthority("upstream://o.test", "o.test", 80));
    assertFalse(HttpSM.isAuthority(null, "o.test", 80));
  }
}
