package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
}
