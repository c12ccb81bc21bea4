package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The path normaliser the proxy routes with: RFC 3986 §5.2.4 and §6.2.2, plus the rejections docs/http.md lists. */
class RequestPathsTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "/                        | /",
      "/a/b/c                   | /a/b/c",
      "/api/../admin            | /admin",
      "/api/%2e%2e/admin        | /admin",
      "/api/%2E%2E/admin        | /admin",
      "/api/.%2e/admin          | /admin",
      "/api/x/../../admin       | /admin",
      "/api/./../admin          | /admin",
      "/a/./b                   | /a/b",
      "/a/b/.                   | /a/b/",
      "/a/b/..                  | /a/",
      "/a/..                    | /",
      "/..a/.b/...              | /..a/.b/...",
      "/a//../b                 | /a/b",
      "/a//b/                   | /a//b/",
      "/%7Euser/%41%2d%5f%2E%30 | /~user/A-_.0",
      "/a%2fb%5cc%3f%25         | /a%2Fb%5Cc%3F%25",
      "/a%2Fb/..                | /",
      "/a;p=1/./b;q             | /a;p=1/b;q",
      "/a?x=/../%2e#y           | /a?x=/../%2e#y",
      "/a/../b?c/../d           | /b?c/../d",
      "http://h/a/../b?q        | http://h/b?q",
      "HTTP://h:80/%61/./       | HTTP://h:80/a/",
      "http://h                 | http://h",
      "http://h?q=/../          | http://h?q=/../",
      "*                        | *",
      "h:443                    | h:443",
  })
  void normalises(String target, String expected) throws BadMessageException {
    assertEquals(expected, RequestPaths.normalizeTarget(target));
  }

  @ParameterizedTest
  @ValueSource(strings = {"/..", "/../x", "/%2e%2e", "/%2E%2e/x", "/a/../..", "/a/./../../b", "/.%2E/x",
      "http://h/../x", "/a\\b", "/a/..\\x", "/a#b", "http://h\\@evil/x", "/a/..%2Fb", "/a/..%2fb", "/a/%2e%2e%5Cb",
      "/a/.%2F", "/a/..;/b", "/a/.;x", "/a/%", "/a/%2", "/a/%g0", "/a/%0g"})
  void rejects_with_400(String target) {
    BadMessageException e = assertThrows(BadMessageException.class, () -> RequestPaths.normalizeTarget(target));
    assertEquals(400, e.status());
    assertTrue(e.getMessage().startsWith("bad request target: "), e.getMessage());
  }

  @Test
  void an_unchanged_target_is_returned_as_it_is() throws BadMessageException {
    String target = "/already/normal?x=%2e";
    assertSame(target, RequestPaths.normalizeTarget(target));
  }

  @Test
  void normalising_twice_changes_nothing() throws BadMessageException {
    for (String t : new String[] {"/a/%2e/b/%2E%2E/%7e%2f", "/x/%41%42/../c/.", "/%2561"}) {
      String once = RequestPaths.normalizeTarget(t);
      assertEquals(once, RequestPaths.normalizeTarget(once), t);
    }
  }

  @Test
  void a_path_must_be_absolute() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RequestPaths.normalizePath("a"));
    assertTrue(e.getMessage().contains("starts with /"), e.getMessage());
  }
}
