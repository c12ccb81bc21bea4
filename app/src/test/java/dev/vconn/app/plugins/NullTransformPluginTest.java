package dev.vconn.app.plugins;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.app.Main;
import dev.vconn.app.support.TestOrigin;
import dev.vconn.app.support.TestServer;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link NullTransformPlugin}: bodies pass unchanged; the transform's mark is the chunked framing. */
class NullTransformPluginTest {

  @ParameterizedTest
  @ValueSource(strings = {"nio", "netty"})
  void transformed_responses_arrive_unchanged_but_chunked(String transport) throws Exception {
    try (TestOrigin origin = new TestOrigin(TestOrigin.describing());
        TestServer s = TestServer.start(transport, "--null-transform", "/t/,/bytes/",
            "--remap", "http://*/t/=http://" + origin.authority() + "/",
            "--remap", "http://*/plain/=http://" + origin.authority() + "/")) {
      HttpResponse<String> plain = s.get("/plain/x");
      assertEquals("origin saw GET /x with 0 body bytes", plain.body());
      assertEquals(String.valueOf(plain.body().length()), plain.headers().firstValue("content-length").orElse(""));

      HttpResponse<String> transformed = s.get("/t/x");
      assertEquals(200, transformed.statusCode());
      assertEquals("origin saw GET /x with 0 body bytes", transformed.body());
      assertFalse(transformed.headers().firstValue("content-length").isPresent());
      assertEquals("chunked", transformed.headers().firstValue("transfer-encoding").orElse(""));

      // A body far larger than the transform's buffers: backpressure through both pairs of the transform.
      long n = 5_000_000;
      HttpResponse<InputStream> big = s.client.send(s.request("/bytes/" + n).build(),
          HttpResponse.BodyHandlers.ofInputStream());
      long offset = 0;
      try (InputStream in = big.body()) {
        byte[] buf = new byte[65536];
        int k;
        while ((k = in.read(buf)) > 0) {
          for (int i = 0; i < k; i++) {
            assertEquals(BuiltinRoutes.patternByte(offset + i), buf[i]);
          }
          offset += k;
        }
      }
      assertEquals(n, offset);
      NullTransformPlugin plugin = s.server.plugins().stream().filter(NullTransformPlugin.class::isInstance)
          .map(NullTransformPlugin.class::cast).findFirst().orElseThrow();
      assertEquals(2, plugin.transformsAdded());
    }
  }

  @Test
  void prefixes_must_be_paths(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("vconn.properties");
    Files.writeString(config, "plugin.null-transform.enabled = true\nplugin.null-transform.prefixes = /ok/, bytes\n",
        StandardCharsets.UTF_8);
    StringWriter err = new StringWriter();
    Main.Launch launch = Main.launch(new String[] {"--listen", "127.0.0.1:0", "--config", config.toString()},
        new PrintWriter(new StringWriter()), new PrintWriter(err));
    assertNull(launch.server());
    assertEquals(1, launch.exitStatus());
    assertTrue(err.toString().contains("plugin.null-transform.prefixes: a null transform prefix must start with /, "
        + "was bytes"), err.toString());
  }
}
