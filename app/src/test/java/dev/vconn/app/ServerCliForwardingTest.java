package dev.vconn.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.http.ForwardingPolicy;
import dev.vconn.domain.http.ForwardingPolicy.Mode;
import dev.vconn.domain.http.OriginProxyProtocol;
import dev.vconn.domain.http.ProxyProtocolMode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The forwarding and PROXY protocol options: defaults, command line, config file keys, environment, bad values. */
class ServerCliForwardingTest {
  @TempDir
  Path dir;

  private static ServerCli.Outcome parse(Map<String, String> env, StringWriter err, String... args) {
    return ServerCli.parse(args, env, new PrintWriter(new StringWriter()), new PrintWriter(err));
  }

  private static ServerSettings settings(String... args) {
    StringWriter err = new StringWriter();
    return assertInstanceOf(ServerCli.Run.class, parse(Map.of(), err, args), err.toString()).settings();
  }

  @Test
  void the_defaults_append_x_forwarded_for_set_the_proto_rewrite_host_and_read_no_proxy_header() {
    ServerSettings s = settings();
    assertEquals(ForwardingPolicy.defaults(), s.forwarding());
    assertEquals(ProxyProtocolSettings.off(), s.proxyProtocol());
  }

  @Test
  void the_options_reach_the_settings() {
    ServerSettings s = settings("--forwarded-for", "replace", "--forwarded-proto", "off", "--forwarded-host",
        "APPEND", "--forwarded", "replace", "--preserve-host", "true", "--proxy-protocol", "optional",
        "--proxy-protocol-timeout", "750ms");
    assertEquals(new ForwardingPolicy(Mode.REPLACE, Mode.OFF, Mode.APPEND, Mode.REPLACE, true), s.forwarding());
    assertEquals(new ProxyProtocolSettings(ProxyProtocolMode.OPTIONAL, ProxyProtocolMode.OFF,
        Duration.ofMillis(750)), s.proxyProtocol());
  }

  @Test
  void config_file_keys_and_environment_variables_set_them_too() throws IOException {
    Path file = dir.resolve("vconn.properties");
    Files.writeString(file, """
        forwarded-for = off
        forwarded = append
        preserve-host = true
        proxy-protocol = v2
        """, StandardCharsets.UTF_8);
    StringWriter err = new StringWriter();
    ServerSettings s = assertInstanceOf(ServerCli.Run.class, parse(Map.of("VCONN_PROXY_PROTOCOL", "any",
        "VCONN_FORWARDED_HOST", "replace"), err, "--config", file.toString()), err.toString()).settings();
    assertEquals(new ForwardingPolicy(Mode.OFF, Mode.REPLACE, Mode.REPLACE, Mode.APPEND, true), s.forwarding());
    assertEquals(ProxyProtocolMode.ANY, s.proxyProtocol().listener(), "the environment wins over the file");
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(delimiter = '|', value = {
      "--forwarded-for|set|append, replace or off",
      "--forwarded-proto|yes|append, replace or off",
      "--forwarded|on|append, replace or off",
      "--preserve-host|maybe|--preserve-host",
      "--proxy-protocol|v3|off, optional, v1, v2 or any",
      "--proxy-protocol-timeout|0s|must be positive",
      "--tls-proxy-protocol|optional|use v1, v2, any or off",
      "--origin-proxy-protocol|any|off, v1 or v2"})
  void a_bad_value_exits_2_naming_the_option(String option, String value, String message) {
    StringWriter err = new StringWriter();
    ServerCli.Outcome o = parse(Map.of(), err, option, value);
    assertEquals(ServerCli.USAGE, assertInstanceOf(ServerCli.Exit.class, o).status(), err.toString());
    assertTrue(err.toString().contains(option), err.toString());
    assertTrue(err.toString().contains(message), err.toString());
  }

  @Test
  void the_header_towards_origins_is_off_by_default_and_set_by_option_file_key_or_environment() throws IOException {
    assertEquals(OriginProxyProtocol.OFF, settings().proxyProtocol().origin());
    assertEquals(OriginProxyProtocol.V1, settings("--origin-proxy-protocol", "v1").proxyProtocol().origin());
    Path file = dir.resolve("origin.properties");
    Files.writeString(file, "origin-proxy-protocol = v1\n", StandardCharsets.UTF_8);
    StringWriter err = new StringWriter();
    ServerSettings fromFile = assertInstanceOf(ServerCli.Run.class, parse(Map.of(), err, "--config",
        file.toString()), err.toString()).settings();
    assertEquals(OriginProxyProtocol.V1, fromFile.proxyProtocol().origin());
    ServerSettings fromEnv = assertInstanceOf(ServerCli.Run.class, parse(Map.of("VCONN_ORIGIN_PROXY_PROTOCOL", "V2"),
        err, "--config", file.toString()), err.toString()).settings();
    assertEquals(OriginProxyProtocol.V2, fromEnv.proxyProtocol().origin(), "the environment wins over the file");
  }

  @Test
  void the_header_towards_https_origins_is_a_usage_error_naming_the_option_and_the_rule() {
    StringWriter err = new StringWriter();
    ServerCli.Outcome o = parse(Map.of(), err, "--origin-proxy-protocol", "v2", "--remap",
        "http://a.test/=https://secure.test/");
    assertEquals(ServerCli.USAGE, assertInstanceOf(ServerCli.Exit.class, o).status(), err.toString());
    assertTrue(err.toString().contains("--origin-proxy-protocol") && err.toString().contains("https://secure.test"),
        err.toString());
    StringWriter err2 = new StringWriter();
    ServerCli.Outcome group = parse(Map.of(), err2, "--origin-proxy-protocol", "v1", "--upstream",
        "web https://b.test:8443", "--remap", "http://a.test/=upstream://web/");
    assertEquals(ServerCli.USAGE, assertInstanceOf(ServerCli.Exit.class, group).status(), err2.toString());
    assertTrue(err2.toString().contains("--origin-proxy-protocol") && err2.toString().contains("upstream web"),
        err2.toString());
  }

  @Test
  void a_proxy_header_on_a_tls_listener_that_is_not_there_is_a_usage_error() {
    StringWriter err = new StringWriter();
    ServerCli.Outcome o = parse(Map.of(), err, "--tls-proxy-protocol", "v1");
    assertEquals(ServerCli.USAGE, assertInstanceOf(ServerCli.Exit.class, o).status());
    assertTrue(err.toString().contains("--tls-proxy-protocol") && err.toString().contains("needs --tls-listen"),
        err.toString());
  }
}
