package dev.vconn.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.app.plugins.AdoptedSocketIntercept;
import dev.vconn.domain.http.HttpLimits;
import dev.vconn.domain.http.HttpTimeouts;
import dev.vconn.domain.http.RemapRule;
import dev.vconn.domain.http2.Http2Config;
import dev.vconn.domain.http.UpstreamGroup;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The command line and config file: help, defaults, every option, errors with exit status 2, file vs flags. */
class ServerCliTest {
  @TempDir
  Path dir;

  /** What one parse printed and decided. */
  private record Parsed(ServerCli.Outcome outcome, String out, String err) {
    ServerSettings settings() {
      return assertInstanceOf(ServerCli.Run.class, outcome, err).settings();
    }

    int exit() {
      return assertInstanceOf(ServerCli.Exit.class, outcome, "expected an exit").status();
    }
  }

  private static Parsed parse(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    ServerCli.Outcome o = ServerCli.parse(args, new PrintWriter(out), new PrintWriter(err));
    return new Parsed(o, out.toString(), err.toString());
  }

  /** Parses with these environment variables instead of the process's. */
  private static Parsed parseWithEnv(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    ServerCli.Outcome o = ServerCli.parse(args, env, new PrintWriter(out), new PrintWriter(err));
    return new Parsed(o, out.toString(), err.toString());
  }

  @Test
  void help_lists_every_option_and_exits_0() {
    Parsed p = parse("--help");
    assertEquals(0, p.exit());
    for (String option : new String[] {"--config", "--transport", "--listen", "--event-loops", "--shutdown-timeout",
        "--access-log", "--remap", "--upstream", "--ip-allow", "--builtin-routes", "--fanout", "--null-transform", "--intercept",
        "--max-request-line", "--max-header-bytes", "--max-header-count", "--max-connections-per-origin",
        "--max-idle-per-origin", "--max-retries", "--header-timeout", "--keep-alive-timeout", "--connect-timeout",
        "--response-timeout", "--inactivity-timeout", "--origin-idle-timeout", "--linger-timeout", "--via-name",
        "--connect-ports", "--plugin-path", "--tls-listen", "--tls-cert", "--tls-key", "--tls-client-auth",
        "--tls-trust", "--tls-handshake-timeout", "--origin-trust", "--origin-verify-hostname", "--http2",
        "--http2-max-concurrent-streams", "--http2-initial-window-size", "--http2-max-header-list-size",
        "--http2-max-resets", "--http2-idle-timeout", "--help", "--version", "--tls-key-password-file", "--access-log-format",
        "--tls-delegated-tasks", "--tls-engine"}) {
      assertTrue(p.out().contains(option), option + " missing from --help:\n" + p.out());
    }
    assertTrue(p.out().contains("nio, netty"), p.out());
    assertTrue(p.err().isEmpty(), p.err());
  }

  @Test
  void version_exits_0() {
    Parsed p = parse("--version");
    assertEquals(0, p.exit());
    assertTrue(p.out().startsWith("vconn-server "), p.out());
  }

  @Test
  void no_options_give_the_embedded_default() {
    ServerSettings s = parse().settings();
    assertEquals("nio", s.transport());
    assertEquals(new InetSocketAddress("127.0.0.1", 8080), s.listen());
    assertEquals(Runtime.getRuntime().availableProcessors(), s.eventLoops());
    assertEquals(HttpTimeouts.defaults(), s.timeouts(), "the documented defaults are the state machine's");
    assertEquals(HttpLimits.defaults(), s.limits());
    assertEquals(Duration.ofSeconds(10), s.shutdownTimeout());
    assertTrue(s.builtinRoutes() && s.fanout() && s.accessLog());
    assertTrue(s.remapRules().isEmpty() && s.intercepts().isEmpty() && s.nullTransformPrefixes().isEmpty());
    assertEquals("vconn", s.viaName());
    assertEquals(Set.of(), s.connectPorts(), "CONNECT is refused unless ports are allowed");
    assertEquals(s, ServerSettings.defaults());
    assertEquals(Http2Settings.defaults(), s.http2(), "HTTP/2 on, with the session's documented defaults");
    assertEquals(Http2Config.defaults(), s.http2().config());
    assertEquals(List.of("h2", "http/1.1"), s.http2().alpn());
  }

  @Test
  void http2_options_and_config_keys_reach_the_settings() throws IOException {
    ServerSettings s = parse("--http2=false", "--http2-max-concurrent-streams", "7", "--http2-initial-window-size",
        "1048576", "--http2-max-header-list-size", "8192", "--http2-max-resets", "50", "--http2-idle-timeout", "1m")
        .settings();
    assertFalse(s.http2().enabled());
    assertEquals(List.of("http/1.1"), s.http2().alpn(), "no h2 offered by ALPN when HTTP/2 is off");
    assertEquals(Http2Config.defaults().toBuilder().maxConcurrentStreams(7).initialWindowSize(1_048_576)
        .maxHeaderListSize(8192).maxResetsPerInterval(50).idleTimeout(Duration.ofMinutes(1)).build(),
        s.http2().config());
    Path file = write("""
        http2 = false
        http2-max-concurrent-streams = 5
        """);
    ServerSettings fromFile = parse("--config", file.toString()).settings();
    assertFalse(fromFile.http2().enabled());
    assertEquals(5, fromFile.http2().config().maxConcurrentStreams());
    ServerSettings fromEnv = parseWithEnv(Map.of("VCONN_HTTP2", "false", "VCONN_HTTP2_MAX_CONCURRENT_STREAMS", "9"))
        .settings();
    assertFalse(fromEnv.http2().enabled());
    assertEquals(9, fromEnv.http2().config().maxConcurrentStreams());
  }

  @Test
  void every_option_reaches_the_settings() {
    ServerSettings s = parse("--transport", "NETTY", "--listen", "[::1]:0", "--event-loops", "3",
        "--shutdown-timeout", "1500ms", "--access-log=false", "--remap", "http://*/a/=http://127.0.0.1:9000/",
        "--remap", "http://example.test/=http://10.0.0.1/x/,http://other.test/=http://10.0.0.2:81/",
        "--ip-allow", "allow 127.0.0.0/8, deny 0.0.0.0/0", "--builtin-routes", "false", "--fanout=false",
        "--null-transform", "/t/,/u/", "--intercept", "/i/=127.0.0.1:9001", "--max-request-line", "100",
        "--max-header-bytes", "2000", "--max-header-count", "20", "--max-connections-per-origin", "4",
        "--max-idle-per-origin", "2", "--max-retries", "0", "--header-timeout", "1s", "--keep-alive-timeout", "2m",
        "--connect-timeout", "PT3S", "--response-timeout", "4s", "--inactivity-timeout", "5s",
        "--origin-idle-timeout", "1h", "--linger-timeout", "250ms", "--via-name", "edge-1",
        "--connect-ports", "443,8443").settings();
    assertEquals("netty", s.transport());
    assertEquals(new InetSocketAddress("::1", 0), s.listen());
    assertEquals(3, s.eventLoops());
    assertEquals(Duration.ofMillis(1500), s.shutdownTimeout());
    assertFalse(s.accessLog() || s.builtinRoutes() || s.fanout());
    assertEquals(List.of(RemapRule.parse("http://*/a/", "http://127.0.0.1:9000/"),
        RemapRule.parse("http://example.test/", "http://10.0.0.1/x/"),
        RemapRule.parse("http://other.test/", "http://10.0.0.2:81/")), s.remapRules());
    assertTrue(s.accessControl().denial(new InetSocketAddress("127.0.0.1", 1)).isEmpty());
    assertTrue(s.accessControl().denial(new InetSocketAddress("192.0.2.1", 1)).isPresent());
    assertEquals(List.of("/t/", "/u/"), s.nullTransformPrefixes());
    assertEquals(List.of(new AdoptedSocketIntercept.Route("/i/", "127.0.0.1", 9001)), s.intercepts());
    assertEquals(new HttpLimits(100, 2000, 20), s.limits());
    assertEquals(4, s.maxConnectionsPerOrigin());
    assertEquals(2, s.maxIdlePerOrigin());
    assertEquals(0, s.maxRetries());
    assertEquals(new HttpTimeouts(Duration.ofSeconds(1), Duration.ofMinutes(2), Duration.ofSeconds(3),
        Duration.ofSeconds(4), Duration.ofSeconds(5), Duration.ofHours(1), Duration.ofMillis(250)), s.timeouts());
    assertEquals("edge-1", s.viaName());
    assertEquals(Set.of(443, 8443), s.connectPorts());
  }

  @Test
  void an_unknown_option_exits_2_naming_it() {
    Parsed p = parse("--listen", "127.0.0.1:0", "--bogus-option", "x");
    assertEquals(2, p.exit());
    assertTrue(p.err().contains("--bogus-option"), p.err());
    assertTrue(p.err().contains("--help"), "points to --help: " + p.err());
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(delimiter = '|', value = {
      "--listen|nonsense",
      "--listen|127.0.0.1:70000",
      "--listen|127.0.0.1:http",
      "--transport|inmemory",
      "--transport|carrier-pigeon",
      "--event-loops|0",
      "--event-loops|many",
      "--shutdown-timeout|soon",
      "--connect-timeout|-5s",
      "--header-timeout|0s",
      "--remap|http://a/",
      "--remap|ftp://a/=http://b/",
      "--remap|http://a/=http://b:port/",
      "--ip-allow|permit everyone",
      "--intercept|/x/",
      "--intercept|x=127.0.0.1:80",
      "--null-transform|nope",
      "--max-header-bytes|0",
      "--max-retries|11",
      "--max-connections-per-origin|-1",
      "--via-name|has space",
      "--connect-ports|0",
      "--connect-ports|65536",
      "--connect-ports|https",
      "--fanout|maybe",
      "--http2|maybe",
      "--http2-max-concurrent-streams|0",
      "--http2-initial-window-size|0",
      "--http2-max-header-list-size|-1",
      "--http2-max-resets|0",
      "--http2-idle-timeout|0s",
      "--plugin-path|/no/such/directory"})
  void a_bad_value_exits_2_naming_the_option(String option, String value) {
    Parsed p = parse(option, value);
    assertEquals(2, p.exit(), p.err());
    assertTrue(p.err().contains(option), "message names " + option + ": " + p.err());
  }

  @Test
  void a_config_file_sets_options() throws IOException {
    Path file = write("""
        # a vconn-server config
        transport = netty
        listen = 127.0.0.1:9090
        event-loops = 1
        remap = http://*/api/=http://127.0.0.1:9000/, http://example.test/=http://127.0.0.1:9001/
        null-transform = /bytes/
        connect-timeout = 2s
        fanout = false
        ip-allow = allow 127.0.0.1, deny 0.0.0.0/0
        connect-ports = 443, 8443
        """);
    ServerSettings s = parse("--config", file.toString()).settings();
    assertEquals("netty", s.transport());
    assertEquals(new InetSocketAddress("127.0.0.1", 9090), s.listen());
    assertEquals(1, s.eventLoops());
    assertEquals(2, s.remapRules().size());
    assertEquals(RemapRule.parse("http://example.test/", "http://127.0.0.1:9001/"), s.remapRules().get(1));
    assertEquals(List.of("/bytes/"), s.nullTransformPrefixes());
    assertEquals(Duration.ofSeconds(2), s.timeouts().connect());
    assertFalse(s.fanout());
    assertEquals(Set.of(443, 8443), s.connectPorts());
    assertTrue(s.accessControl().denial(new InetSocketAddress("127.0.0.2", 1)).isPresent());
    assertEquals(HttpTimeouts.defaults().header(), s.timeouts().header(), "what the file leaves out keeps its default");
  }

  @Test
  void the_command_line_overrides_the_file() throws IOException {
    Path file = write("""
        transport = netty
        listen = 127.0.0.1:9090
        remap = http://*/a/=http://127.0.0.1:9000/, http://*/b/=http://127.0.0.1:9001/
        fanout = false
        """);
    ServerSettings s = parse("--listen", "127.0.0.1:7070", "--config", file.toString(), "--remap",
        "http://*/c/=http://127.0.0.1:9002/", "--fanout=true").settings();
    assertEquals("netty", s.transport(), "from the file");
    assertEquals(new InetSocketAddress("127.0.0.1", 7070), s.listen());
    assertEquals(List.of(RemapRule.parse("http://*/c/", "http://127.0.0.1:9002/")), s.remapRules(),
        "a list on the command line replaces the file's");
    assertTrue(s.fanout());
  }

  @Test
  void plugin_keys_in_the_file_reach_the_settings_and_plugin_fanout_enabled_is_the_fanout_option()
      throws IOException {
    Path file = write("""
        plugin-path = %s
        plugin.stamp.enabled = true
        plugin.stamp.value =  two words\s
        plugin.fanout.enabled = false
        """.formatted(dir.toString().replace("\\", "/")));
    ServerSettings s = parse("--config", file.toString()).settings();
    assertEquals(dir, s.pluginPath());
    assertEquals(Map.of("plugin.stamp.enabled", "true", "plugin.stamp.value", "two words"), s.pluginProperties());
    assertFalse(s.fanout(), "plugin.fanout.enabled sets the fanout option");
    assertTrue(parse("--config", file.toString(), "--fanout=true").settings().fanout(), "the command line wins");
    assertTrue(parse().settings().pluginProperties().isEmpty());
  }

  @Test
  void malformed_or_conflicting_plugin_keys_exit_2_naming_them() throws IOException {
    Path noKey = write("plugin.stamp = x\n");
    Parsed p = parse("--config", noKey.toString());
    assertEquals(2, p.exit());
    assertTrue(p.err().contains("'plugin.stamp' is not plugin.NAME.KEY"), p.err());
    Path upper = write("plugin.Stamp.value = x\n");
    assertEquals(2, parse("--config", upper.toString()).exit());
    Path both = write("fanout = true\nplugin.fanout.enabled = false\n");
    Parsed q = parse("--config", both.toString());
    assertEquals(2, q.exit());
    assertTrue(q.err().contains("give either 'fanout' or 'plugin.fanout.enabled'"), q.err());
    Path bad = write("plugin.fanout.enabled = sometimes\n");
    Parsed r = parse("--config", bad.toString());
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("plugin.fanout.enabled must be true or false"), r.err());
  }

  @Test
  void an_unknown_key_in_the_file_exits_2_naming_it() throws IOException {
    Path file = write("listen = 127.0.0.1:9090\nlisten-port = 80\n");
    Parsed p = parse("--config", file.toString());
    assertEquals(2, p.exit());
    assertTrue(p.err().contains("listen-port") && p.err().contains(file.toString()), p.err());
  }

  @Test
  void a_bad_value_in_the_file_exits_2_naming_the_option_and_the_file() throws IOException {
    Path file = write("connect-timeout = whenever\n");
    Parsed p = parse("--config", file.toString());
    assertEquals(2, p.exit());
    assertTrue(p.err().contains("--connect-timeout") && p.err().contains(file.toString()), p.err());
    Path range = write("event-loops = 0\n");
    Parsed q = parse("--config", range.toString());
    assertEquals(2, q.exit());
    assertTrue(q.err().contains("--event-loops") && q.err().contains(range.toString()), q.err());
  }

  @Test
  void a_missing_config_file_exits_2() {
    Parsed p = parse("--config", dir.resolve("nope.properties").toString());
    assertEquals(2, p.exit());
    assertTrue(p.err().contains("nope.properties"), p.err());
  }

  @Test
  void a_repeated_key_in_the_file_exits_2_naming_the_key_and_both_lines() throws IOException {
    Path file = write("""
        transport = nio
        listen = 127.0.0.1:9090
        # a comment line still counts
        listen = 127.0.0.1:9091
        """);
    Parsed p = parse("--config", file.toString());
    assertEquals(2, p.exit(), p.err());
    assertTrue(p.err().contains("'listen'") && p.err().contains("line 2") && p.err().contains("line 4")
        && p.err().contains(file.toString()), p.err());
    Path continued = write("via-name = a\\\n  b\nip-allow = allow 127.0.0.1\nvia-name = c\n");
    Parsed q = parse("--config", continued.toString());
    assertEquals(2, q.exit(), q.err());
    assertTrue(q.err().contains("'via-name'") && q.err().contains("line 1") && q.err().contains("line 4"),
        "a continued line counts as the lines it spans: " + q.err());
    Path plugin = write("plugin.stamp.value = a\nplugin.stamp.value = b\n");
    Parsed r = parse("--config", plugin.toString());
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.err().contains("'plugin.stamp.value'") && r.err().contains("line 1") && r.err().contains("line 2"),
        r.err());
  }

  @Test
  void a_repeated_list_key_accumulates_in_file_order() throws IOException {
    Path file = write("""
        remap = http://*/a/=http://127.0.0.1:9000/
        connect-ports = 443
        remap = http://*/b/=http://127.0.0.1:9001/, http://*/c/=http://127.0.0.1:9002/
        connect-ports = 8443
        null-transform = /x/
        null-transform = /y/
        """);
    ServerSettings s = parse("--config", file.toString()).settings();
    assertEquals(List.of(RemapRule.parse("http://*/a/", "http://127.0.0.1:9000/"),
        RemapRule.parse("http://*/b/", "http://127.0.0.1:9001/"),
        RemapRule.parse("http://*/c/", "http://127.0.0.1:9002/")), s.remapRules());
    assertEquals(Set.of(443, 8443), s.connectPorts());
    assertEquals(List.of("/x/", "/y/"), s.nullTransformPrefixes());
  }

  @Test
  void the_environment_overrides_the_file_and_the_command_line_overrides_the_environment() throws IOException {
    Path file = write("""
        transport = netty
        listen = 127.0.0.1:9090
        max-retries = 2
        remap = http://*/a/=http://127.0.0.1:9000/
        plugin.fanout.enabled = true
        """);
    Map<String, String> env = Map.of("VCONN_LISTEN", "127.0.0.1:9091", "VCONN_MAX_RETRIES", "3",
        "VCONN_REMAP", "http://*/b/=http://127.0.0.1:9001/", "VCONN_FANOUT", "false");
    ServerSettings s = parseWithEnv(env, "--config", file.toString()).settings();
    assertEquals("netty", s.transport(), "from the file");
    assertEquals(new InetSocketAddress("127.0.0.1", 9091), s.listen());
    assertEquals(3, s.maxRetries());
    assertEquals(List.of(RemapRule.parse("http://*/b/", "http://127.0.0.1:9001/")), s.remapRules(),
        "a list in the environment replaces the file's");
    assertFalse(s.fanout(), "VCONN_FANOUT beats the file's plugin.fanout.enabled");
    ServerSettings c = parseWithEnv(env, "--config", file.toString(), "--listen", "127.0.0.1:7070",
        "--max-retries", "0").settings();
    assertEquals(new InetSocketAddress("127.0.0.1", 7070), c.listen());
    assertEquals(0, c.maxRetries());
    assertEquals(new InetSocketAddress("127.0.0.1", 9091), parseWithEnv(env).settings().listen(),
        "the environment applies without a config file too");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "VCONN_CONNECT_TIMEOUT | whenever",
      "VCONN_MAX_RETRIES     | 99",
      "VCONN_LISTEN          | nowhere",
      "VCONN_ACCESS_LOG      | maybe",
      "VCONN_REMAP           | http://*/a/",
      "VCONN_EVENT_LOOPS     | 0",
      "VCONN_TLS_CERT        | cert.pem"}) // a check across options (no --tls-listen) still names the variable
  void a_bad_value_in_the_environment_exits_2_naming_the_variable(String variable, String value) throws IOException {
    Path file = write("listen = 127.0.0.1:9090\n");
    Parsed p = parseWithEnv(Map.of(variable, value), "--config", file.toString());
    assertEquals(2, p.exit(), p.err());
    assertTrue(p.err().contains("environment variable " + variable), p.err());
    assertEquals(2, parseWithEnv(Map.of(variable, value)).exit(), "without a config file too");
  }

  @Test
  void environment_variables_that_name_no_option_are_ignored() {
    ServerSettings s = parseWithEnv(Map.of("VCONN_JAVA_OPTS", "-Xmx512m", "VCONN_CONFIG", "/nonexistent",
        "VCONN_PLUGIN_STAMP_ENABLED", "true", "vconn_listen", "127.0.0.1:1", "LISTEN", "127.0.0.1:2")).settings();
    assertEquals(ServerCli.settings().listen(), s.listen());
    assertTrue(s.pluginProperties().isEmpty(), s.pluginProperties().toString());
  }

  @Test
  void upstream_groups_reach_the_settings_and_a_remap_target_must_name_one() {
    ServerSettings s = parse("--upstream", "api http://10.0.0.1:80 http://10.0.0.2 policy=least-connections,"
        + "web https://10.0.0.3", "--remap", "http://*/=upstream://api/v1/").settings();
    assertEquals(List.of("api", "web"), s.upstreams().stream().map(UpstreamGroup::name).toList());
    assertEquals(UpstreamGroup.Policy.LEAST_CONNECTIONS, s.upstreams().get(0).policy());
    assertEquals("api", s.remapRules().get(0).upstream());
    Parsed undefined = parse("--remap", "http://*/=upstream://nope/");
    assertEquals(2, undefined.exit());
    assertTrue(undefined.err().contains("Invalid value for option '--remap': the target upstream://nope/ names no "
        + "--upstream group (defined: none)"), undefined.err());
    Parsed twice = parse("--upstream", "api http://a", "--upstream", "api http://b");
    assertEquals(2, twice.exit());
    assertTrue(twice.err().contains("two groups are named api"), twice.err());
    Parsed bad = parse("--upstream", "api http://a policy=random");
    assertEquals(2, bad.exit());
    assertTrue(bad.err().contains("--upstream") && bad.err().contains("policy must be round-robin or "
        + "least-connections, was 'random'"), bad.err());
  }

  /** The README's option table must name every option --help lists, so the two cannot drift apart. */
  @Test
  void the_readme_documents_every_option() throws IOException {
    String help = parse("--help").out();
    String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
    Matcher m = Pattern.compile("(--[a-z][a-z-]+)").matcher(help);
    while (m.find()) {
      assertTrue(readme.contains("`" + m.group(1)), "README.md does not document " + m.group(1));
    }
  }

  @Test
  void the_access_log_format_comes_from_the_option_or_the_config_file_and_defaults_to_kv() throws IOException {
    assertEquals(dev.vconn.domain.http.AccessLogFormat.KV, parse().settings().accessLogFormat());
    for (dev.vconn.domain.http.AccessLogFormat f : dev.vconn.domain.http.AccessLogFormat.values()) {
      assertEquals(f, parse("--access-log-format", f.configName()).settings().accessLogFormat());
    }
    Path file = write("access-log-format = combined\n");
    assertEquals(dev.vconn.domain.http.AccessLogFormat.COMBINED,
        parse("--config", file.toString()).settings().accessLogFormat());
    assertEquals(dev.vconn.domain.http.AccessLogFormat.JSON,
        parse("--config", file.toString(), "--access-log-format", "json").settings().accessLogFormat(),
        "the command line wins over the file");
    Parsed bad = parse("--access-log-format", "xml");
    assertEquals(2, bad.exit());
    assertTrue(bad.err().contains("--access-log-format") && bad.err().contains("kv, common, combined or json"),
        bad.err());
  }

  // ------------------------------------------------------------------------------------------------------ TLS

  private Path tlsFile(String name) throws IOException {
    Path file = dir.resolve(name);
    if (!Files.exists(file)) {
      try (java.io.InputStream in = ServerCliTest.class.getResourceAsStream("/tls/" + name)) {
        Files.copy(in, file);
      }
    }
    return file;
  }

  @Test
  void tls_options_and_config_keys_reach_the_settings_and_build_the_contexts() throws IOException {
    Path cert = tlsFile("server.pem");
    Path key = tlsFile("server.key");
    Path ca = tlsFile("ca.pem");
    ServerSettings s = parse("--tls-listen", "127.0.0.1:0", "--tls-cert", cert.toString(), "--tls-key",
        key.toString(), "--tls-client-auth", "want", "--tls-trust", ca.toString(), "--tls-handshake-timeout", "3s",
        "--origin-trust", ca.toString(), "--origin-verify-hostname", "false").settings();
    TlsSettings tls = s.tls();
    assertEquals(new InetSocketAddress("127.0.0.1", 0), tls.listen());
    assertEquals(List.of(cert), tls.certificates());
    assertEquals(dev.vconn.domain.tls.TlsContext.ClientAuth.WANT, tls.listenerContext().clientAuth());
    assertEquals(Duration.ofSeconds(3), tls.listenerContext().handshakeTimeout());
    assertFalse(tls.originContext().verifyHostname());

    Path file = write("tls-listen = 127.0.0.1:0\ntls-cert = " + cert + "\ntls-key = " + key
        + "\norigin-trust = " + ca + "\n");
    TlsSettings fromFile = parse("--config", file.toString()).settings().tls();
    assertEquals(List.of(key), fromFile.keys());
    assertTrue(fromFile.originContext().verifyHostname(), "hostname verification is on by default");

    TlsSettings none = parse().settings().tls();
    assertEquals(null, none.listen());
    assertEquals(null, none.listenerContext());
    assertTrue(none.originContext().verifyHostname());
    assertEquals(TlsSettings.none(), none);
  }

  @Test
  void the_tls_engine_is_the_jdk_one_by_default_and_openssl_from_the_option_or_the_config_file() throws IOException {
    Path cert = tlsFile("server.pem");
    Path key = tlsFile("server.key");
    TlsSettings jdk = parse("--tls-listen", "127.0.0.1:0", "--tls-cert", cert.toString(), "--tls-key",
        key.toString()).settings().tls();
    assertEquals(TlsSettings.Engine.JDK, jdk.engine());
    assertEquals("jdk", jdk.listenerContext().engineProvider().name());
    assertEquals("jdk", jdk.originContext().engineProvider().name());

    TlsSettings openssl = parse("--tls-engine", "openssl", "--tls-listen", "127.0.0.1:0", "--tls-cert",
        cert.toString(), "--tls-key", key.toString()).settings().tls();
    assertEquals(TlsSettings.Engine.OPENSSL, openssl.engine());
    assertEquals("openssl", openssl.listenerContext().engineProvider().name());
    assertEquals("openssl", openssl.originContext().engineProvider().name());

    Path file = write("tls-engine = openssl\n");
    assertEquals(TlsSettings.Engine.OPENSSL, parse("--config", file.toString()).settings().tls().engine());

    Parsed bad = parse("--tls-engine", "boringssl");
    assertEquals(2, bad.exit());
    assertTrue(bad.err().contains("--tls-engine") && bad.err().contains("jdk or openssl"), bad.err());
  }

  @Test
  void delegated_tls_tasks_run_on_the_common_pool_by_default_and_inline_on_the_loop_with_loop() throws IOException {
    Path cert = tlsFile("server.pem");
    Path key = tlsFile("server.key");
    TlsSettings pool = parse("--tls-listen", "127.0.0.1:0", "--tls-cert", cert.toString(), "--tls-key",
        key.toString()).settings().tls();
    assertEquals(TlsSettings.DelegatedTasks.POOL, pool.delegatedTasks());
    assertSame(java.util.concurrent.ForkJoinPool.commonPool(), pool.listenerContext().delegatedTaskExecutor());
    assertSame(java.util.concurrent.ForkJoinPool.commonPool(), pool.originContext().delegatedTaskExecutor());

    Path file = write("tls-delegated-tasks = loop\n");
    TlsSettings loop = parse("--config", file.toString(), "--tls-listen", "127.0.0.1:0", "--tls-cert",
        cert.toString(), "--tls-key", key.toString()).settings().tls();
    assertEquals(TlsSettings.DelegatedTasks.LOOP, loop.delegatedTasks());
    for (dev.vconn.domain.tls.TlsContext c : List.of(loop.listenerContext(), loop.originContext())) {
      Thread[] ranOn = new Thread[1];
      c.delegatedTaskExecutor().execute(() -> ranOn[0] = Thread.currentThread());
      assertSame(Thread.currentThread(), ranOn[0], "a task runs inline on the calling (loop) thread");
    }

    Parsed bad = parse("--tls-delegated-tasks", "elsewhere");
    assertEquals(2, bad.exit());
    assertTrue(bad.err().contains("--tls-delegated-tasks") && bad.err().contains("loop or pool"), bad.err());
  }

  @Test
  void a_key_that_does_not_match_its_certificate_exits_2_naming_both_files() throws IOException {
    Path cert = tlsFile("server.pem");
    Path rogueKey = tlsFile("rogue.key");
    Parsed p = parse("--tls-listen", "127.0.0.1:0", "--tls-cert", cert.toString(), "--tls-key", rogueKey.toString());
    assertEquals(2, p.exit());
    assertTrue(p.err().contains("--tls-cert/--tls-key") && p.err().contains("does not match")
        && p.err().contains(rogueKey.toString()) && p.err().contains(cert.toString()), p.err());
  }

  @Test
  void an_unreadable_certificate_or_trust_file_exits_2_naming_it() throws IOException {
    Path missing = dir.resolve("missing.pem");
    Parsed p = parse("--tls-listen", "127.0.0.1:0", "--tls-cert", missing.toString(), "--tls-key",
        tlsFile("server.key").toString());
    assertEquals(2, p.exit());
    assertTrue(p.err().contains("--tls-cert/--tls-key") && p.err().contains(missing.toString()), p.err());

    Parsed q = parse("--origin-trust", missing.toString());
    assertEquals(2, q.exit());
    assertTrue(q.err().contains("--origin-trust") && q.err().contains(missing.toString()), q.err());
  }

  /** {@code server.key} encrypted by the JDK (PBES2, HMAC-SHA256 and AES-256) as an {@code ENCRYPTED PRIVATE KEY}. */
  private Path encryptedServerKey(String password) throws Exception {
    String pem = Files.readString(tlsFile("server.key"), StandardCharsets.US_ASCII);
    byte[] pkcs8 = java.util.Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
    String scheme = "PBEWithHmacSHA256AndAES_256";
    byte[] salt = new byte[16];
    new java.security.SecureRandom().nextBytes(salt);
    javax.crypto.SecretKey key = javax.crypto.SecretKeyFactory.getInstance(scheme)
        .generateSecret(new javax.crypto.spec.PBEKeySpec(password.toCharArray()));
    javax.crypto.Cipher cipher = javax.crypto.Cipher.getInstance(scheme);
    cipher.init(javax.crypto.Cipher.ENCRYPT_MODE, key, new javax.crypto.spec.PBEParameterSpec(salt, 2048));
    // Under its PBES2 name, which the encoding needs (the scheme name has no object identifier of its own).
    java.security.AlgorithmParameters pbes2 = java.security.AlgorithmParameters.getInstance("PBES2");
    pbes2.init(cipher.getParameters().getEncoded());
    byte[] der = new javax.crypto.EncryptedPrivateKeyInfo(pbes2, cipher.doFinal(pkcs8)).getEncoded();
    Path file = Files.createTempFile(dir, "server-encrypted", ".key");
    Files.writeString(file, "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
        + java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END ENCRYPTED PRIVATE KEY-----\n", StandardCharsets.US_ASCII);
    assertTrue(Files.readString(file).contains("ENCRYPTED PRIVATE KEY"));
    return file;
  }

  private Path passwordFile(String name, String content) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, content, StandardCharsets.UTF_8);
    return file;
  }

  @Test
  void an_encrypted_key_is_read_with_the_password_from_a_file_on_the_command_line_or_in_the_config_file()
      throws Exception {
    Path cert = tlsFile("server.pem");
    Path key = encryptedServerKey("s3cret");
    Path password = passwordFile("server.pass", "s3cret\n");
    Parsed p = parse("--tls-listen", "127.0.0.1:0", "--tls-cert", cert.toString(), "--tls-key", key.toString(),
        "--tls-key-password-file", password.toString());
    TlsSettings tls = p.settings().tls();
    assertEquals(1, tls.keyPasswords().size());
    // Building the context decrypted the key and checked it against the certificate (by signing and verifying).
    assertEquals(dev.vconn.domain.tls.TlsContext.Role.SERVER, tls.listenerContext().role());

    Path file = write("tls-listen = 127.0.0.1:0\ntls-cert = " + cert + "\ntls-key = " + key
        + "\ntls-key-password-file = " + password + "\n");
    TlsSettings fromFile = parse("--config", file.toString()).settings().tls();
    assertEquals(List.of(key), fromFile.keys());
    assertEquals(1, fromFile.keyPasswords().size());
    assertEquals(dev.vconn.domain.tls.TlsContext.Role.SERVER, fromFile.listenerContext().role());
  }

  @Test
  void per_sni_keys_take_their_password_file_at_the_same_position() throws Exception {
    Path cert = tlsFile("server.pem");
    Path key = encryptedServerKey("first-secret");
    Path otherCert = tlsFile("other.pem");
    Path otherKey = tlsFile("other-encrypted.key"); // password test-secret (made by openssl, see the README)
    Path first = passwordFile("first.pass", "first-secret");
    Path second = passwordFile("second.pass", "test-secret\r\n");
    Parsed p = parse("--tls-listen", "127.0.0.1:0", "--tls-cert", cert.toString(), "--tls-key", key.toString(),
        "--tls-cert", otherCert.toString(), "--tls-key", otherKey.toString(),
        "--tls-key-password-file", first.toString(), "--tls-key-password-file", second.toString());
    assertEquals(2, p.settings().tls().keyPasswords().size());
    assertEquals(dev.vconn.domain.tls.TlsContext.Role.SERVER, p.settings().tls().listenerContext().role());

    // One password file for both: the second key's password is wrong.
    Parsed q = parse("--tls-listen", "127.0.0.1:0", "--tls-cert", cert.toString(), "--tls-key", key.toString(),
        "--tls-cert", otherCert.toString(), "--tls-key", otherKey.toString(),
        "--tls-key-password-file", first.toString());
    assertEquals(2, q.exit());
    assertTrue(q.err().contains(otherKey.toString()) && q.err().contains("cannot decrypt"), q.err());
  }

  @Test
  void a_wrong_or_missing_password_exits_2_naming_the_key_file_and_the_option() throws Exception {
    Path cert = tlsFile("server.pem");
    Path key = encryptedServerKey("Qv7-good-pw");
    Parsed wrong = parse("--tls-listen", "127.0.0.1:0", "--tls-cert", cert.toString(), "--tls-key", key.toString(),
        "--tls-key-password-file", passwordFile("wrong.pass", "Zx4-bad-pw\n").toString());
    assertEquals(2, wrong.exit());
    assertTrue(wrong.err().contains("--tls-cert/--tls-key") && wrong.err().contains(key.toString())
        && wrong.err().contains("cannot decrypt the key (wrong password")
        && wrong.err().contains("--tls-key-password-file"), wrong.err());
    assertFalse(wrong.err().contains("Zx4-bad-pw") || wrong.err().contains("Qv7-good-pw"),
        "no password in the message");

    Parsed missing = parse("--tls-listen", "127.0.0.1:0", "--tls-cert", cert.toString(), "--tls-key",
        key.toString());
    assertEquals(2, missing.exit());
    assertTrue(missing.err().contains("a password is needed") && missing.err().contains("--tls-key-password-file"),
        missing.err());
  }

  @Test
  void bad_password_files_exit_2_naming_the_option() throws Exception {
    Path cert = tlsFile("server.pem");
    Path key = tlsFile("server.key");
    Path unreadable = dir.resolve("no-such.pass");
    Parsed p = parse("--tls-listen", "127.0.0.1:0", "--tls-cert", cert.toString(), "--tls-key", key.toString(),
        "--tls-key-password-file", unreadable.toString());
    assertEquals(2, p.exit());
    assertTrue(p.err().contains("--tls-key-password-file") && p.err().contains(unreadable.toString()), p.err());

    Parsed empty = parse("--tls-listen", "127.0.0.1:0", "--tls-cert", cert.toString(), "--tls-key", key.toString(),
        "--tls-key-password-file", passwordFile("empty.pass", "\nsecond line").toString());
    assertEquals(2, empty.exit());
    assertTrue(empty.err().contains("--tls-key-password-file") && empty.err().contains("empty first line"),
        empty.err());

    Path pass = passwordFile("a.pass", "a");
    Parsed count = parse("--tls-listen", "127.0.0.1:0", "--tls-cert", cert.toString(), "--tls-key", key.toString(),
        "--tls-key-password-file", pass.toString(), "--tls-key-password-file", pass.toString());
    assertEquals(2, count.exit());
    assertTrue(count.err().contains("--tls-key-password-file") && count.err().contains("once per --tls-key"),
        count.err());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "--tls-cert,CERT,--tls-key,KEY | need --tls-listen",
      "--tls-listen,127.0.0.1:0 | in pairs",
      "--tls-listen,127.0.0.1:0,--tls-cert,CERT | in pairs",
      "--tls-listen,127.0.0.1:0,--tls-cert,CERT,--tls-key,KEY,--tls-client-auth,need | needs --tls-trust",
      "--tls-listen,127.0.0.1:0,--tls-cert,CERT,--tls-key,KEY,--tls-client-auth,sometimes | --tls-client-auth",
      "--tls-handshake-timeout,0s | --tls-handshake-timeout"})
  void inconsistent_tls_options_exit_2_naming_the_rule(String args, String message) throws IOException {
    String cert = tlsFile("server.pem").toString();
    String key = tlsFile("server.key").toString();
    Parsed p = parse(args.replace("CERT", cert).replace("KEY", key).split(","));
    assertEquals(2, p.exit());
    assertTrue(p.err().contains(message), p.err());
  }

  private Path write(String text) throws IOException {
    Path file = Files.createTempFile(dir, "vconn", ".properties");
    Files.writeString(file, text, StandardCharsets.UTF_8);
    return file;
  }

  // ---------------------------------------------------------------------------------------------------- admin

  @Test
  void the_admin_listener_and_the_stats_route_are_off_by_default() {
    ServerSettings s = parse().settings();
    assertEquals(ServerSettings.AdminSettings.NONE, s.admin());
    assertNull(s.admin().listen(), "no admin listener unless --admin-listen is given");
    assertFalse(s.admin().statsRoute(), "no /_stats on the public port unless --stats-route true");
  }

  @Test
  void admin_listen_and_stats_route_come_from_the_command_line_the_file_and_the_environment() throws IOException {
    ServerSettings c = parse("--admin-listen", "127.0.0.1:9901", "--stats-route", "true").settings();
    assertEquals(new ServerSettings.AdminSettings(new InetSocketAddress("127.0.0.1", 9901), true), c.admin());
    Path file = write("""
        admin-listen = [::1]:9902
        stats-route = true
        """);
    ServerSettings f = parse("--config", file.toString()).settings();
    assertEquals(new ServerSettings.AdminSettings(new InetSocketAddress("::1", 9902), true), f.admin());
    ServerSettings e = parseWithEnv(Map.of("VCONN_ADMIN_LISTEN", "127.0.0.1:9903", "VCONN_STATS_ROUTE", "false"),
        "--config", file.toString()).settings();
    assertEquals(new ServerSettings.AdminSettings(new InetSocketAddress("127.0.0.1", 9903), false), e.admin(),
        "the environment beats the file");
    Parsed bad = parseWithEnv(Map.of("VCONN_ADMIN_LISTEN", "nowhere"));
    assertEquals(2, bad.exit(), bad.err());
    assertTrue(bad.err().contains("environment variable VCONN_ADMIN_LISTEN"), bad.err());
    Parsed badFlag = parse("--stats-route", "maybe");
    assertEquals(2, badFlag.exit(), badFlag.err());
    assertTrue(badFlag.err().contains("--stats-route"), badFlag.err());
  }
}
