package dev.vconn.app;

import dev.vconn.app.plugins.AdoptedSocketIntercept;
import dev.vconn.domain.http.AccessControl;
import dev.vconn.domain.http.ForwardingPolicy;
import dev.vconn.domain.http.AccessLogFormat;
import dev.vconn.domain.http.HttpLimits;
import dev.vconn.domain.http.HttpTimeouts;
import dev.vconn.domain.http.OriginProxyProtocol;
import dev.vconn.domain.http.ProxyProtocolMode;
import dev.vconn.domain.http.RemapRule;
import dev.vconn.domain.http2.Http2Config;
import dev.vconn.domain.http.UpstreamGroup;
import dev.vconn.domain.tls.TlsConfigException;
import dev.vconn.domain.tls.TlsContext;
import dev.vconn.netty.OpenSslTlsEngineProvider;
import dev.vconn.ports.IpAllowList;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * The command line and the config file of {@code vconn-server}, parsed with picocli.
 *
 * <p>The config file ({@code --config FILE}) is a Java properties file whose keys are the long option names without
 * {@code --} ({@code listen = 127.0.0.1:8080}); list options take comma-separated values there, and a list key
 * given on several lines accumulates in file order, while any other repeated key is a usage error naming both lines.
 * Environment variables {@code VCONN_<KEY>} (the key upper-cased, {@code -} and {@code .} as {@code _}) override the
 * file; whatever the command line gives wins over both, a list option given on the command line (or in the
 * environment) replacing the file's list. Keys {@code plugin.NAME.KEY} configure plugins (docs/server.md, Plugins):
 * they go to the settings as they are, except {@code plugin.fanout.enabled}, which is the {@code fanout} option under
 * its plugin name. Usage errors (an unknown option or key, a repeated key, a bad value, an unreadable file) print a
 * message naming the option (and the line or the variable) and give exit status 2.
 */
public final class ServerCli {
  /** The exit status of a usage error. */
  public static final int USAGE = CommandLine.ExitCode.USAGE;

  private ServerCli() {}

  /** What to do after parsing. */
  public sealed interface Outcome permits Run, Exit {}

  /**
   * Start the server.
   *
   * @param settings the settings
   */
  public record Run(ServerSettings settings) implements Outcome {}

  /**
   * Exit without starting: help or version printed (0) or a usage error (2).
   *
   * @param status the exit status
   */
  public record Exit(int status) implements Outcome {}

  /**
   * Parses a command line and the config file it names, without environment overrides.
   *
   * @param args the arguments
   * @param out where help and version go
   * @param err where usage errors go
   * @return run with these settings, or exit with this status
   */
  public static Outcome parse(String[] args, PrintWriter out, PrintWriter err) {
    return parse(args, Map.of(), out, err);
  }

  /**
   * Parses a command line, the {@code VCONN_<KEY>} variables of an environment and the config file the command line
   * names. The command line wins over the environment, the environment over the file, the file over the defaults.
   *
   * @param args the arguments
   * @param environment the environment ({@code System.getenv()} for the server); variables starting with
   *     {@code VCONN_} that name no option are ignored
   * @param out where help and version go
   * @param err where usage errors go
   * @return run with these settings, or exit with this status
   */
  public static Outcome parse(String[] args, Map<String, String> environment, PrintWriter out, PrintWriter err) {
    CommandLine cli = commandLine(null);
    Options options;
    ServerSettings settings;
    try {
      cli.parseArgs(args);
      if (cli.isUsageHelpRequested()) {
        cli.usage(out);
        out.flush();
        return new Exit(0);
      }
      if (cli.isVersionHelpRequested()) {
        cli.printVersionHelp(out);
        out.flush();
        return new Exit(0);
      }
      options = cli.getCommand();
      settings = options.toSettings(); // the command line's own values are checked before the file is read
    } catch (ParameterException e) {
      return usageError(err, e.getMessage());
    }
    Set<String> known = configKeys(cli.getCommandSpec());
    Set<String> listKeys = listKeys(cli.getCommandSpec());
    // Each variable is checked on its own first, so a bad value names the variable.
    Map<String, String> fromEnvironment = new TreeMap<>();
    for (String key : known) {
      String variable = environmentVariable(key);
      String value = environment.get(variable);
      if (value == null) {
        continue;
      }
      Properties alone = new Properties();
      alone.setProperty(key, value.strip());
      try {
        CommandLine check = commandLine(new CommandLine.PropertiesDefaultProvider(alone));
        check.parseArgs();
        ((Options) check.getCommand()).checkValues();
      } catch (ParameterException e) {
        return usageError(err, "environment variable " + variable + ": " + e.getMessage());
      }
      fromEnvironment.put(key, value.strip());
    }
    if (options.config == null && fromEnvironment.isEmpty()) {
      return new Run(settings);
    }
    Path file = options.config;
    Properties fromFile = new Properties();
    Map<String, String> pluginProperties = new TreeMap<>();
    if (file != null) {
      List<ConfigEntry> entries;
      try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        entries = ConfigEntry.read(r);
      } catch (IOException | IllegalArgumentException e) {
        return usageError(err, "cannot read config file " + file + ": " + e.getMessage());
      }
      Map<String, Integer> firstLine = new TreeMap<>();
      for (ConfigEntry entry : entries) {
        String key = entry.key();
        Integer first = firstLine.putIfAbsent(key, entry.line());
        if (first != null && !listKeys.contains(key)) {
          return usageError(err, "config file " + file + ": key '" + key + "' on line " + entry.line()
              + " repeats line " + first + " (only the list keys " + String.join(", ", listKeys)
              + " may be given more than once)");
        }
        if (key.startsWith(PLUGIN_PREFIX)) {
          if (!PLUGIN_KEY.matcher(key).matches()) {
            return usageError(err, "config file " + file + ", line " + entry.line() + ": key '" + key
                + "' is not plugin.NAME.KEY (NAME: lower case letters, digits and -)");
          }
          pluginProperties.put(key, entry.value().strip());
        } else if (!known.contains(key)) {
          return usageError(err, "config file " + file + ", line " + entry.line() + ": unknown key '" + key
              + "' (keys are the long option names without --, such as 'listen')");
        } else if (first != null) {
          // A list key accumulates in file order, as the option given several times on the command line does.
          fromFile.setProperty(key, fromFile.getProperty(key) + "," + entry.value());
        } else {
          fromFile.setProperty(key, entry.value());
        }
      }
    }
    // Second pass: the file's values, overridden by the environment's, become the defaults; the command line wins.
    Properties defaults = new Properties();
    defaults.putAll(fromFile);
    defaults.putAll(fromEnvironment);
    CommandLine withFile = commandLine(new CommandLine.PropertiesDefaultProvider(defaults));
    try {
      withFile.parseArgs(args);
    } catch (ParameterException e) {
      // The command line and each variable were checked on their own, so a value that does not convert is the file's.
      return usageError(err, (file == null ? sources(null, fromEnvironment.keySet()) : "config file " + file) + ": "
          + e.getMessage());
    }
    Options withFileOptions = withFile.getCommand();
    // plugin.fanout.enabled is the fanout option under the plugin's name: the command line and environment still win.
    String fanout = pluginProperties.remove(FANOUT_ENABLED);
    if (fanout != null && !withFile.getParseResult().hasMatchedOption("--fanout")
        && !fromEnvironment.containsKey("fanout")) {
      if (fromFile.containsKey("fanout")) {
        return usageError(err, "config file " + file + ": give either 'fanout' or '" + FANOUT_ENABLED
            + "', not both");
      }
      if (!fanout.equalsIgnoreCase("true") && !fanout.equalsIgnoreCase("false")) {
        return usageError(err, "config file " + file + ": " + FANOUT_ENABLED + " must be true or false, was '"
            + fanout + "'");
      }
      withFileOptions.fanout = Boolean.parseBoolean(fanout.toLowerCase(Locale.ROOT));
    }
    try {
      ServerSettings merged = withFileOptions.toSettings();
      return new Run(merged.withPlugins(merged.pluginPath(), pluginProperties));
    } catch (ParameterException e) {
      return usageError(err, sources(file, fromEnvironment.keySet()) + ": " + e.getMessage());
    }
  }

  /**
   * Reads the settings again as {@link #parse(String[], Map, PrintWriter, PrintWriter)} read them at startup (the
   * same command line and environment, the config file as it is now): what {@link VconnServer#reload()} applies.
   *
   * @param args the command line the server was started with
   * @param environment the environment it was started with
   * @return where the settings come from on each reload
   */
  public static VconnServer.SettingsSource source(String[] args, Map<String, String> environment) {
    String[] argsCopy = args.clone();
    Map<String, String> env = Map.copyOf(environment);
    return () -> {
      java.io.StringWriter errors = new java.io.StringWriter();
      PrintWriter err = new PrintWriter(errors);
      Outcome outcome = parse(argsCopy, env, new PrintWriter(java.io.Writer.nullWriter()), err);
      if (outcome instanceof Run run) {
        return run.settings();
      }
      String message = errors.toString().lines().findFirst().orElse("the command line asks for help or the version");
      throw new IllegalArgumentException(message.startsWith("vconn-server: ")
          ? message.substring("vconn-server: ".length()) : message);
    };
  }

  /**
   * The environment variable that overrides a config key: {@code VCONN_} and the key upper-cased with {@code -} and
   * {@code .} as {@code _} ({@code max-retries}: {@code VCONN_MAX_RETRIES}).
   */
  static String environmentVariable(String key) {
    return "VCONN_" + key.toUpperCase(Locale.ROOT).replace('-', '_').replace('.', '_');
  }

  /** Names the config file and the environment variables a combined setting came from, for an error message. */
  private static String sources(Path file, Set<String> environmentKeys) {
    List<String> variables = environmentKeys.stream().map(ServerCli::environmentVariable).toList();
    String fromEnvironment = "environment variable" + (variables.size() == 1 ? " " : "s ")
        + String.join(", ", variables);
    if (file == null) {
      return fromEnvironment;
    }
    return variables.isEmpty() ? "config file " + file : "config file " + file + " with " + fromEnvironment;
  }

  /**
   * One key of the config file, with the line its logical line starts on: the file is read as
   * {@link Properties#load(Reader)} reads it, one logical line (a line and its {@code \}-continuations) at a time, so
   * that a repeated key can be reported with both line numbers instead of the last value silently winning.
   */
  record ConfigEntry(String key, String value, int line) {
    static List<ConfigEntry> read(Reader reader) throws IOException {
      BufferedReader lines = new BufferedReader(reader);
      List<ConfigEntry> entries = new ArrayList<>();
      StringBuilder logical = null;
      int start = 0;
      int number = 0;
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        number++;
        if (logical == null) {
          int i = 0;
          while (i < line.length() && (line.charAt(i) == ' ' || line.charAt(i) == '\t' || line.charAt(i) == '\f')) {
            i++;
          }
          if (i == line.length() || line.charAt(i) == '#' || line.charAt(i) == '!') {
            continue; // blank lines and comments never continue
          }
          logical = new StringBuilder();
          start = number;
        }
        logical.append(line).append('\n');
        if (!continues(line)) {
          add(entries, logical, start);
          logical = null;
        }
      }
      if (logical != null) {
        add(entries, logical, start);
      }
      return entries;
    }

    /** An odd number of trailing backslashes continues the line. */
    private static boolean continues(String line) {
      int slashes = 0;
      for (int i = line.length() - 1; i >= 0 && line.charAt(i) == '\\'; i--) {
        slashes++;
      }
      return slashes % 2 == 1;
    }

    private static void add(List<ConfigEntry> entries, StringBuilder logical, int line) throws IOException {
      Properties one = new Properties();
      one.load(new StringReader(logical.toString()));
      for (String key : one.stringPropertyNames()) {
        entries.add(new ConfigEntry(key, one.getProperty(key), line));
      }
    }
  }

  /** Config keys that configure plugins start with this. */
  static final String PLUGIN_PREFIX = "plugin.";
  private static final Pattern PLUGIN_KEY = Pattern.compile("plugin\\.[a-z0-9][a-z0-9-]*\\.\\S+");
  private static final String FANOUT_ENABLED = "plugin.fanout.enabled";

  /** The defaults, as {@code vconn-server} without options has them. */
  static ServerSettings settings() {
    CommandLine cli = commandLine(null);
    cli.parseArgs();
    return ((Options) cli.getCommand()).toSettings();
  }

  private static Exit usageError(PrintWriter err, String message) {
    err.println("vconn-server: " + message);
    err.println("Try 'vconn-server --help' for the options.");
    err.flush();
    return new Exit(USAGE);
  }

  private static CommandLine commandLine(CommandLine.IDefaultValueProvider defaults) {
    CommandLine cli = new CommandLine(new Options());
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    if (defaults != null) {
      cli.setDefaultValueProvider(defaults);
    }
    return cli;
  }

  /** The keys of options that take a list: repeated in the file, they accumulate. */
  private static Set<String> listKeys(CommandSpec spec) {
    Set<String> keys = new TreeSet<>();
    for (OptionSpec o : spec.options()) {
      if (o.isMultiValue()) {
        keys.add(o.longestName().substring(2));
      }
    }
    return keys;
  }

  private static Set<String> configKeys(CommandSpec spec) {
    Set<String> keys = new TreeSet<>();
    for (OptionSpec o : spec.options()) {
      if (o.usageHelp() || o.versionHelp() || o.longestName().equals("--config")) {
        continue;
      }
      keys.add(o.longestName().substring(2));
    }
    return keys;
  }

  /**
   * The help page lists every option in this order. Keep README.md and docs/server.md in step with it (a test
   * checks that the README's option table names them all).
   */
  @Command(name = "vconn-server", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
      versionProvider = Version.class, usageHelpWidth = 110, customSynopsis = "vconn-server [OPTIONS]",
      description = {
          "Traffic Server's VConn/VIO model as a runnable HTTP/1.1 proxy: built-in routes (/, /echo, /bytes/{n}),",
          "remap rules to origins, example plugins (fanout, null transform, adopted-socket intercept), and an admin",
          "listener with /metrics, /healthz and /readyz.",
          ""},
      footer = {
          "",
          "DURATION is a number with ms, s, m or h (250ms, 10s, 2m), or ISO-8601 (PT10S).",
          "--config FILE: a properties file with the long option names as keys (listen = 127.0.0.1:9090);",
          "list options take comma-separated values there and may repeat; any other repeated key is an error.",
          "Environment: VCONN_<KEY> (VCONN_LISTEN, VCONN_MAX_RETRIES) overrides the file; the command line wins.",
          "Plugins: plugin.NAME.enabled = true and plugin.NAME.KEY = value in the config file (docs/server.md).",
          "Exit status: 0 after a clean stop (SIGTERM/SIGINT drain in-flight requests first), 1 if the server",
          "could not start, 2 for a usage error."})
  static final class Options {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE",
        description = "Read options from this properties file (keys: long option names without --).")
    Path config;

    @Option(names = "--transport", paramLabel = "NAME", defaultValue = "nio",
        description = "The transport: ${COMPLETION-CANDIDATES}.")
    TransportName transport;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8080",
        converter = HostPortConverter.class,
        description = "Where to listen; port 0 picks a free one (printed at startup).")
    InetSocketAddress listen;

    @Option(names = "--event-loops", paramLabel = "N",
        description = "Event loop threads (default: one per processor).")
    Integer eventLoops;

    @Option(names = "--shutdown-timeout", paramLabel = "DURATION", defaultValue = "10s",
        converter = DurationConverter.class,
        description = "On SIGTERM/SIGINT, how long to wait for in-flight transactions before closing them.")
    Duration shutdownTimeout;

    @Option(names = "--access-log", paramLabel = "true|false", arity = "1", defaultValue = "true",
        description = "Log one line per transaction (slf4j logger vconn.access, level info). Default: true")
    boolean accessLog;

    @Option(names = "--access-log-format", paramLabel = "kv|common|combined|json", defaultValue = "kv",
        converter = AccessLogFormatConverter.class,
        description = "The access log's line format: kv (key=value fields), common (Common Log Format), combined "
            + "(Combined Log Format) or json (JSON lines). Default: kv")
    AccessLogFormat accessLogFormat;

    @Option(names = "--remap", paramLabel = "FROM=TO", split = ",", converter = RemapConverter.class,
        showDefaultValue = CommandLine.Help.Visibility.NEVER,
        description = "A remap rule, e.g. http://*/api/=http://127.0.0.1:9000/ (host * = any); repeatable, "
            + "tried in order. Requests no route or plugin claims and no rule matches get 404.")
    List<RemapRule> remap = new ArrayList<>();

    @Option(names = "--upstream", paramLabel = "GROUP", split = ",", converter = UpstreamConverter.class,
        showDefaultValue = CommandLine.Help.Visibility.NEVER,
        description = "An upstream group a remap target can name (upstream://NAME/path): NAME URL... [OPTION=VALUE...], "
            + "e.g. \"api http://10.0.0.1:8080 http://10.0.0.2:8080 policy=least-connections max-fails=3 "
            + "fail-timeout=10s check=/healthz check-interval=5s check-status=200\"; repeatable.")
    List<UpstreamGroup> upstream = new ArrayList<>();

    @Option(names = "--ip-allow", paramLabel = "RULES", converter = IpAllowConverter.class,
        description = "Access control on the client address, e.g. \"allow 127.0.0.0/8, deny 0.0.0.0/0\"; "
            + "first match decides, no match denies (default: everyone allowed).")
    IpAllowList ipAllow;

    @Option(names = "--builtin-routes", paramLabel = "true|false", arity = "1", defaultValue = "true",
        description = "Serve /, /echo, /bytes/{n} and /stream-bytes/{n} (and /_stats with --stats-route). "
            + "Default: true")
    boolean builtinRoutes;

    @Option(names = "--stats-route", paramLabel = "true|false", arity = "1", defaultValue = "false",
        description = "Also serve the JSON counters at /_stats on the public port (with the built-in routes; "
            + "/metrics on --admin-listen is the operator's view). Default: false")
    boolean statsRoute;

    @Option(names = "--admin-listen", paramLabel = "HOST:PORT", converter = HostPortConverter.class,
        description = "Serve /metrics (Prometheus), /healthz, /readyz and POST /reload here (default: no admin "
            + "listener). Keep it on loopback or a private network: it has no access control of its own.")
    InetSocketAddress adminListen;

    @Option(names = "--fanout", paramLabel = "true|false", arity = "1", defaultValue = "true",
        description = "Serve /fanout?paths=/a,/b through in-process connections (pitag=fanout). Default: true")
    boolean fanout;

    @Option(names = "--null-transform", paramLabel = "PREFIX", split = ",",
        showDefaultValue = CommandLine.Help.Visibility.NEVER,
        description = "Pass responses under this path prefix through the null transform; repeatable.")
    List<String> nullTransform = new ArrayList<>();

    @Option(names = "--intercept", paramLabel = "PREFIX=HOST:PORT", split = ",",
        converter = InterceptRouteConverter.class, showDefaultValue = CommandLine.Help.Visibility.NEVER,
        description = "Splice requests under PREFIX to HOST:PORT over an adopted blocking socket; repeatable.")
    List<AdoptedSocketIntercept.Route> intercept = new ArrayList<>();

    @Option(names = "--plugin-path", paramLabel = "DIR",
        description = "Load plugins from the jars in this directory (each names its classes in META-INF/services/"
            + "dev.vconn.plugin.Plugin); switch them on with plugin.NAME.enabled = true in the config file.")
    Path pluginPath;

    @Option(names = "--max-request-line", paramLabel = "BYTES",
        defaultValue = "" + HttpLimits.DEFAULT_MAX_REQUEST_LINE_BYTES,
        description = "Longest request line (414 beyond).")
    int maxRequestLine;

    @Option(names = "--max-header-bytes", paramLabel = "BYTES", defaultValue = "" + HttpLimits.DEFAULT_MAX_HEADER_BYTES,
        description = "Largest request head (431 beyond).")
    int maxHeaderBytes;

    @Option(names = "--max-header-count", paramLabel = "N", defaultValue = "" + HttpLimits.DEFAULT_MAX_HEADER_COUNT,
        description = "Most header fields (431 beyond).")
    int maxHeaderCount;

    @Option(names = "--max-connections-per-origin", paramLabel = "N", defaultValue = "0",
        description = "Open connections per origin, 0 for no limit (503 beyond).")
    int maxConnectionsPerOrigin;

    @Option(names = "--max-idle-per-origin", paramLabel = "N", defaultValue = "16",
        description = "Idle keep-alive connections kept per origin.")
    int maxIdlePerOrigin;

    @Option(names = "--max-retries", paramLabel = "N", defaultValue = "1",
        description = "Retries of an idempotent request whose origin connection failed before a byte was sent (0..10).")
    int maxRetries;

    @Option(names = "--header-timeout", paramLabel = "DURATION", defaultValue = "10s",
        converter = DurationConverter.class, description = "Time to send a whole request head (408 after).")
    Duration headerTimeout;

    @Option(names = "--keep-alive-timeout", paramLabel = "DURATION", defaultValue = "30s",
        converter = DurationConverter.class, description = "Idle time between requests before the connection closes.")
    Duration keepAliveTimeout;

    @Option(names = "--connect-timeout", paramLabel = "DURATION", defaultValue = "5s",
        converter = DurationConverter.class, description = "Time to connect to an origin (504 after).")
    Duration connectTimeout;

    @Option(names = "--response-timeout", paramLabel = "DURATION", defaultValue = "30s",
        converter = DurationConverter.class, description = "Time for an origin to start its response (504 after).")
    Duration responseTimeout;

    @Option(names = "--inactivity-timeout", paramLabel = "DURATION", defaultValue = "30s",
        converter = DurationConverter.class, description = "Time a body transfer may make no progress.")
    Duration inactivityTimeout;

    @Option(names = "--origin-idle-timeout", paramLabel = "DURATION", defaultValue = "30s",
        converter = DurationConverter.class, description = "Time an idle origin connection stays pooled.")
    Duration originIdleTimeout;

    @Option(names = "--linger-timeout", paramLabel = "DURATION", defaultValue = "2s",
        converter = DurationConverter.class,
        description = "Time the proxy keeps reading after an error response, so the client sees it.")
    Duration lingerTimeout;

    @Option(names = "--connect-ports", paramLabel = "PORT", split = ",", converter = PortConverter.class,
        description = "Ports CONNECT host:port may reach, comma-separated (default: none, every CONNECT gets 403).")
    List<Integer> connectPorts = new ArrayList<>();

    @Option(names = "--via-name", paramLabel = "NAME", defaultValue = "vconn",
        description = "The pseudonym in the Via fields the proxy adds.")
    String viaName;

    @Option(names = "--tls-listen", paramLabel = "HOST:PORT", converter = HostPortConverter.class,
        description = "Also listen for HTTPS (TLS 1.3/1.2; ALPN h2 and http/1.1, only http/1.1 with --http2=false) "
            + "here; needs --tls-cert and --tls-key.")
    InetSocketAddress tlsListen;

    @Option(names = "--tls-cert", paramLabel = "FILE", split = ",",
        showDefaultValue = CommandLine.Help.Visibility.NEVER,
        description = "A PEM certificate chain (leaf first) for the TLS listener; repeatable, one per --tls-key, "
            + "chosen by the SNI name the client asks for; the first is the default.")
    List<Path> tlsCert = new ArrayList<>();

    @Option(names = "--tls-key", paramLabel = "FILE", split = ",",
        showDefaultValue = CommandLine.Help.Visibility.NEVER,
        description = "The PKCS#8 PEM private key of the --tls-cert at the same position; repeatable.")
    List<Path> tlsKey = new ArrayList<>();

    @Option(names = "--tls-key-password-file", paramLabel = "FILE", split = ",",
        showDefaultValue = CommandLine.Help.Visibility.NEVER,
        description = "A file whose first line is the password of an encrypted PKCS#8 --tls-key (ENCRYPTED PRIVATE "
            + "KEY); give it once for every key, or once per --tls-key at the same position. Never the password "
            + "itself on the command line.")
    List<Path> tlsKeyPasswordFile = new ArrayList<>();

    @Option(names = "--tls-client-auth", paramLabel = "MODE", defaultValue = "none",
        description = "Client certificates on the TLS listener: none, want or need (want and need need --tls-trust).")
    TlsContext.ClientAuth tlsClientAuth;

    @Option(names = "--tls-trust", paramLabel = "FILE",
        description = "PEM CA certificates that client certificates must chain to.")
    Path tlsTrust;

    @Option(names = "--tls-handshake-timeout", paramLabel = "DURATION", defaultValue = "10s",
        converter = DurationConverter.class,
        description = "Time a TLS client has to finish its handshake before the connection is closed.")
    Duration tlsHandshakeTimeout;

    @Option(names = "--http2", paramLabel = "true|false", arity = "1", defaultValue = "true",
        description = "Speak HTTP/2 too: h2c with prior knowledge on --listen, h2 by ALPN on --tls-listen. "
            + "Default: true")
    boolean http2;

    @Option(names = "--http2-max-concurrent-streams", paramLabel = "N", defaultValue = "100",
        description = "Streams one HTTP/2 connection may have open (SETTINGS_MAX_CONCURRENT_STREAMS); more are "
            + "refused.")
    int http2MaxConcurrentStreams;

    @Option(names = "--http2-initial-window-size", paramLabel = "BYTES", defaultValue = "" + Http2Config.DEFAULT_WINDOW,
        description = "Each HTTP/2 stream's receive window for request bodies (SETTINGS_INITIAL_WINDOW_SIZE).")
    int http2InitialWindowSize;

    @Option(names = "--http2-max-header-list-size", paramLabel = "BYTES", defaultValue = "65536",
        description = "Largest HTTP/2 request header list (SETTINGS_MAX_HEADER_LIST_SIZE; 431 beyond).")
    int http2MaxHeaderListSize;

    @Option(names = "--http2-max-resets", paramLabel = "N", defaultValue = "200",
        description = "Streams an HTTP/2 client may reset or have refused per second before GOAWAY ENHANCE_YOUR_CALM "
            + "(rapid reset).")
    int http2MaxResets;

    @Option(names = "--http2-idle-timeout", paramLabel = "DURATION", defaultValue = "120s",
        converter = DurationConverter.class,
        description = "Time an HTTP/2 connection with no open stream and no frame stays open.")
    Duration http2IdleTimeout;

    @Option(names = "--tls-delegated-tasks", paramLabel = "loop|pool", defaultValue = "pool",
        converter = DelegatedTasksConverter.class,
        description = "Where TLS handshake work (signatures, key agreement, certificate checks) runs: loop (inline on "
            + "the connection's event loop, no thread hand-off) or pool (the JDK's common fork-join pool). "
            + "Default: pool")
    TlsSettings.DelegatedTasks tlsDelegatedTasks;

    @Option(names = "--tls-engine", paramLabel = "jdk|openssl", defaultValue = "jdk",
        converter = TlsEngineConverter.class,
        description = "The TLS engine of the TLS listener and of https:// origins: jdk (the JDK's SSLEngine) or "
            + "openssl (BoringSSL through Netty's SSLEngine, Linux x86-64, on every transport; far less CPU per "
            + "handshake; refuses what it cannot do as jdk does, see docs/tls.md). Default: jdk")
    TlsSettings.Engine tlsEngine;

    @Option(names = "--origin-trust", paramLabel = "FILE",
        description = "PEM CA certificates that https:// origins must chain to (default: the JDK's trust store).")
    Path originTrust;

    @Option(names = "--origin-verify-hostname", paramLabel = "true|false", arity = "1", defaultValue = "true",
        description = "Check that an https:// origin's certificate names the remap target's host. Default: true")
    boolean originVerifyHostname;

    @Option(names = "--forwarded-for", paramLabel = "MODE", defaultValue = "append",
        converter = ForwardingModeConverter.class,
        description = "X-Forwarded-For to origins: append the client address to the client's list, replace the "
            + "client's list, or off (the client's passes untouched). Default: append")
    ForwardingPolicy.Mode forwardedFor;

    @Option(names = "--forwarded-proto", paramLabel = "MODE", defaultValue = "replace",
        converter = ForwardingModeConverter.class,
        description = "X-Forwarded-Proto (http or https) to origins: append, replace or off. Default: replace")
    ForwardingPolicy.Mode forwardedProto;

    @Option(names = "--forwarded-host", paramLabel = "MODE", defaultValue = "off",
        converter = ForwardingModeConverter.class,
        description = "X-Forwarded-Host (the host the client asked for) to origins: append, replace or off. "
            + "Default: off")
    ForwardingPolicy.Mode forwardedHost;

    @Option(names = "--forwarded", paramLabel = "MODE", defaultValue = "off",
        converter = ForwardingModeConverter.class,
        description = "RFC 7239 Forwarded (for=;proto=;host=) to origins: append, replace or off. Default: off")
    ForwardingPolicy.Mode forwarded;

    @Option(names = "--preserve-host", paramLabel = "true|false", arity = "1", defaultValue = "false",
        description = "Send the client's Host to origins instead of the remap target's host. Default: false")
    boolean preserveHost;

    @Option(names = "--proxy-protocol", paramLabel = "MODE", defaultValue = "off",
        converter = ProxyProtocolModeConverter.class,
        description = "A PROXY protocol header before each connection on --listen: off, optional, v1, v2 or any "
            + "(v1, v2 and any close connections without a valid one). Default: off")
    ProxyProtocolMode proxyProtocol;

    @Option(names = "--tls-proxy-protocol", paramLabel = "MODE", defaultValue = "off",
        converter = ProxyProtocolModeConverter.class,
        description = "A PROXY protocol header before the TLS handshake on --tls-listen: off, v1, v2 or any. "
            + "Default: off")
    ProxyProtocolMode tlsProxyProtocol;

    @Option(names = "--origin-proxy-protocol", paramLabel = "off|v1|v2", defaultValue = "off",
        converter = OriginProxyProtocolConverter.class,
        description = "A PROXY protocol header (v1 text, v2 binary) naming the client, sent first on every new origin "
            + "connection; such a connection is then reused only for that client. Not with https:// origins. "
            + "Default: off")
    OriginProxyProtocol originProxyProtocol;

    @Option(names = "--proxy-protocol-timeout", paramLabel = "DURATION", defaultValue = "5s",
        converter = DurationConverter.class,
        description = "Time a connection has to send its whole PROXY protocol header.")
    Duration proxyProtocolTimeout;

    /**
     * Checks the ranges the converters cannot, each option on its own, naming the option of a bad value: the
     * environment's variables are checked one by one this way.
     */
    void checkValues() {
      int loops = eventLoops == null ? Runtime.getRuntime().availableProcessors() : eventLoops;
      atLeast("--event-loops", loops, 1);
      positive("--shutdown-timeout", shutdownTimeout);
      atLeast("--max-connections-per-origin", maxConnectionsPerOrigin, 0);
      atLeast("--max-idle-per-origin", maxIdlePerOrigin, 0);
      if (maxRetries < 0 || maxRetries > 10) {
        throw invalid("--max-retries", "must be in 0..10, was " + maxRetries);
      }
      if (!viaName.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
        throw invalid("--via-name", "must be an HTTP token (letters, digits, !#$%&'*+.^_`|~-), was '" + viaName + "'");
      }
      for (int port : connectPorts) {
        if (port < 1 || port > 65535) {
          throw invalid("--connect-ports", "a port must be in 1..65535, was " + port);
        }
      }
      if (pluginPath != null && !Files.isDirectory(pluginPath)) {
        throw invalid("--plugin-path", "not a directory: " + pluginPath);
      }
      for (String p : nullTransform) {
        if (!p.startsWith("/")) {
          throw invalid("--null-transform", "a path prefix must start with /, was '" + p + "'");
        }
      }
      atLeast("--max-request-line", maxRequestLine, 1);
      atLeast("--max-header-bytes", maxHeaderBytes, 1);
      atLeast("--max-header-count", maxHeaderCount, 1);
      positive("--header-timeout", headerTimeout);
      positive("--keep-alive-timeout", keepAliveTimeout);
      positive("--connect-timeout", connectTimeout);
      positive("--response-timeout", responseTimeout);
      positive("--inactivity-timeout", inactivityTimeout);
      positive("--origin-idle-timeout", originIdleTimeout);
      positive("--linger-timeout", lingerTimeout);
      positive("--tls-handshake-timeout", tlsHandshakeTimeout);
      positive("--proxy-protocol-timeout", proxyProtocolTimeout);
      if (tlsProxyProtocol == ProxyProtocolMode.OPTIONAL) {
        throw invalid("--tls-proxy-protocol", "optional cannot be told from a TLS client hello without reading it: "
            + "use v1, v2, any or off");
      }
      http2Settings();
    }

    /** The HTTP/2 options as the sessions' config, naming the option of a value the config refuses. */
    private Http2Settings http2Settings() {
      atLeast("--http2-max-concurrent-streams", http2MaxConcurrentStreams, 1);
      atLeast("--http2-initial-window-size", http2InitialWindowSize, 1);
      atLeast("--http2-max-header-list-size", http2MaxHeaderListSize, 1);
      atLeast("--http2-max-resets", http2MaxResets, 1);
      positive("--http2-idle-timeout", http2IdleTimeout);
      return new Http2Settings(http2, Http2Config.builder()
          .maxConcurrentStreams(http2MaxConcurrentStreams)
          .initialWindowSize(http2InitialWindowSize)
          .maxHeaderListSize(http2MaxHeaderListSize)
          .maxResetsPerInterval(http2MaxResets)
          .resetInterval(Duration.ofSeconds(1))
          .idleTimeout(http2IdleTimeout)
          .build());
    }

    /** Checks the values and how they fit together and builds the settings, naming the option of a bad value. */
    ServerSettings toSettings() {
      checkValues();
      int loops = eventLoops == null ? Runtime.getRuntime().availableProcessors() : eventLoops;
      HttpLimits limits = new HttpLimits(maxRequestLine, maxHeaderBytes, maxHeaderCount);
      HttpTimeouts timeouts = new HttpTimeouts(headerTimeout, keepAliveTimeout, connectTimeout, responseTimeout,
          inactivityTimeout, originIdleTimeout, lingerTimeout);
      AccessControl access = ipAllow == null ? AccessControl.allowAll() : ipAllow;
      return new ServerSettings(transport.name(), listen, loops, shutdownTimeout, accessLog, remap, access, limits,
          timeouts, maxIdlePerOrigin, maxConnectionsPerOrigin, maxRetries, viaName, builtinRoutes, fanout,
          nullTransform, intercept, Set.copyOf(connectPorts), pluginPath, Map.of(),
          tlsSettings(), new ServerSettings.AdminSettings(adminListen, statsRoute), http2Settings(),
          upstreams(), new ForwardingPolicy(forwardedFor, forwardedProto, forwardedHost, forwarded, preserveHost),
          new ProxyProtocolSettings(proxyProtocol, tlsProxyProtocol, proxyProtocolTimeout, originProxyProtocol),
          accessLogFormat);
    }

    /** The groups, each named once, and every {@code upstream://NAME/} remap target naming one of them. */
    private List<UpstreamGroup> upstreams() {
      Set<String> names = new TreeSet<>();
      for (UpstreamGroup g : upstream) {
        if (!names.add(g.name())) {
          throw invalid("--upstream", "two groups are named " + g.name());
        }
      }
      for (RemapRule r : remap) {
        if (r.upstream() != null && !names.contains(r.upstream())) {
          throw invalid("--remap", "the target upstream://" + r.upstream() + "/ names no --upstream group (defined: "
              + (names.isEmpty() ? "none" : String.join(", ", names)) + ")");
        }
        if (r.originTls() && originProxyProtocol != OriginProxyProtocol.OFF) {
          throw invalid("--origin-proxy-protocol", "cannot be sent to https origins (it would have to go before the "
              + "TLS handshake): --remap " + r.host() + r.pathPrefix() + " targets https://" + r.originHost());
        }
      }
      for (UpstreamGroup g : upstream) {
        for (UpstreamGroup.Origin o : g.origins()) {
          if (o.tls() && originProxyProtocol != OriginProxyProtocol.OFF) {
            throw invalid("--origin-proxy-protocol", "cannot be sent to https origins (it would have to go before "
                + "the TLS handshake): --upstream " + g.name() + " has member https://" + o.host());
          }
        }
      }
      return upstream;
    }

    /**
     * Builds the TLS contexts now, so an unreadable file, a key that does not match its certificate or a missing
     * trust store is a usage error naming the option and the file.
     */
    private TlsSettings tlsSettings() {
      if (tlsListen == null && tlsProxyProtocol != ProxyProtocolMode.OFF) {
        throw invalid("--tls-proxy-protocol", "needs --tls-listen HOST:PORT");
      }
      if (tlsListen == null && (!tlsCert.isEmpty() || !tlsKey.isEmpty())) {
        throw invalid("--tls-cert", "--tls-cert and --tls-key need --tls-listen HOST:PORT");
      }
      if (tlsListen != null && (tlsCert.isEmpty() || tlsCert.size() != tlsKey.size())) {
        throw invalid("--tls-cert", "--tls-listen needs --tls-cert FILE and --tls-key FILE in pairs (got "
            + tlsCert.size() + " certificate(s) and " + tlsKey.size() + " key(s))");
      }
      if (tlsListen != null && tlsClientAuth != TlsContext.ClientAuth.NONE && tlsTrust == null) {
        throw invalid("--tls-client-auth", tlsClientAuth.name().toLowerCase(Locale.ROOT)
            + " needs --tls-trust FILE (the CA certificates client certificates must chain to)");
      }
      if (!tlsKeyPasswordFile.isEmpty() && tlsKeyPasswordFile.size() != 1
          && tlsKeyPasswordFile.size() != tlsKey.size()) {
        throw invalid("--tls-key-password-file", "give it once (for every --tls-key) or once per --tls-key (got "
            + tlsKeyPasswordFile.size() + " password file(s) and " + tlsKey.size() + " key(s))");
      }
      List<char[]> passwords = new ArrayList<>();
      for (Path file : tlsKeyPasswordFile) {
        try {
          passwords.add(TlsSettings.readPassword(file));
        } catch (IOException | IllegalArgumentException e) {
          throw invalid("--tls-key-password-file", e.getMessage());
        }
      }
      TlsSettings tls = new TlsSettings(tlsListen, tlsCert, tlsKey, tlsClientAuth, tlsTrust, tlsHandshakeTimeout,
          originTrust, originVerifyHostname, passwords, tlsDelegatedTasks, tlsEngine);
      if (tlsEngine == TlsSettings.Engine.OPENSSL && !OpenSslTlsEngineProvider.isAvailable()) {
        throw invalid("--tls-engine", "openssl cannot run here: netty-tcnative's BoringSSL (linux-x86_64) did not "
            + "load (" + OpenSslTlsEngineProvider.unavailabilityCause().map(String::valueOf).orElse("no reason given")
            + "); use --tls-engine jdk");
      }
      // Built once now, so an unreadable file or a key that does not match its certificate is a usage error.
      if (tlsTrust != null) {
        try {
          TlsContext.server().trustPem(tlsTrust);
        } catch (TlsConfigException e) {
          throw invalid("--tls-trust", e.getMessage());
        }
      }
      try {
        tls.listenerContext();
      } catch (TlsConfigException | IllegalArgumentException | IllegalStateException e) {
        String message = String.valueOf(e.getMessage());
        throw invalid("--tls-cert/--tls-key", message + (message.contains("password")
            ? " (the key's password is read from --tls-key-password-file FILE)" : ""));
      }
      try {
        tls.originContext();
      } catch (TlsConfigException | IllegalArgumentException | IllegalStateException e) {
        throw invalid("--origin-trust", e.getMessage());
      }
      return tls;
    }

    private void atLeast(String option, int value, int min) {
      if (value < min) {
        throw invalid(option, "must be at least " + min + ", was " + value);
      }
    }

    private void positive(String option, Duration d) {
      if (d.isZero() || d.isNegative()) {
        throw invalid(option, "must be positive, was " + d);
      }
    }

    private ParameterException invalid(String option, String why) {
      return new ParameterException(spec.commandLine(), "Invalid value for option '" + option + "': " + why);
    }
  }

  /** The transports a server can run on (the in-memory one has no real sockets). */
  enum TransportName {
    nio, netty
  }

  /** A converter for a type whose parser's {@link IllegalArgumentException} message is what the user should see. */
  abstract static class ParsingConverter<T> implements ITypeConverter<T> {
    private final Function<String, T> parse;

    ParsingConverter(Function<String, T> parse) {
      this.parse = parse;
    }

    @Override
    public final T convert(String value) {
      try {
        return parse.apply(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  /** {@code HOST:PORT}, {@code [v6]:PORT}. */
  static final class HostPortConverter implements ITypeConverter<InetSocketAddress> {
    @Override
    public InetSocketAddress convert(String value) {
      int colon = value.lastIndexOf(':');
      if (colon <= 0) {
        throw new TypeConversionException("'" + value + "' is not HOST:PORT");
      }
      String host = value.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      int port;
      try {
        port = Integer.parseInt(value.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new TypeConversionException("'" + value + "' has no numeric port");
      }
      if (port < 0 || port > 65535) {
        throw new TypeConversionException("port must be in 0..65535, was " + port);
      }
      InetSocketAddress address = new InetSocketAddress(host, port);
      if (address.isUnresolved()) {
        throw new TypeConversionException("host '" + host + "' does not resolve");
      }
      return address;
    }
  }

  /** {@code 250ms}, {@code 10s}, {@code 2m}, {@code 1h}, or ISO-8601 {@code PT10S}. */
  static final class PortConverter implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      try {
        return Integer.parseInt(value.strip());
      } catch (NumberFormatException e) {
        throw new TypeConversionException("'" + value + "' is not a port number");
      }
    }
  }

  /** {@code kv}, {@code common}, {@code combined}, {@code json}. */
  static final class AccessLogFormatConverter implements ITypeConverter<AccessLogFormat> {
    @Override
    public AccessLogFormat convert(String value) {
      try {
        return AccessLogFormat.fromName(value.strip());
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  /** {@code jdk}, {@code openssl}. */
  static final class TlsEngineConverter implements ITypeConverter<TlsSettings.Engine> {
    @Override
    public TlsSettings.Engine convert(String value) {
      for (TlsSettings.Engine e : TlsSettings.Engine.values()) {
        if (e.name().equalsIgnoreCase(value.strip())) {
          return e;
        }
      }
      throw new TypeConversionException("'" + value + "' is not jdk or openssl");
    }
  }

  /** {@code loop}, {@code pool}. */
  static final class DelegatedTasksConverter implements ITypeConverter<TlsSettings.DelegatedTasks> {
    @Override
    public TlsSettings.DelegatedTasks convert(String value) {
      for (TlsSettings.DelegatedTasks d : TlsSettings.DelegatedTasks.values()) {
        if (d.name().equalsIgnoreCase(value.strip())) {
          return d;
        }
      }
      throw new TypeConversionException("'" + value + "' is not loop or pool");
    }
  }

  static final class DurationConverter implements ITypeConverter<Duration> {
    private static final Pattern SIMPLE = Pattern.compile("(-?\\d+)(ms|s|m|h)");

    @Override
    public Duration convert(String value) {
      String v = value.strip().toLowerCase(Locale.ROOT);
      Matcher m = SIMPLE.matcher(v);
      try {
        if (m.matches()) {
          long n = Long.parseLong(m.group(1));
          return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
          };
        }
        return Duration.parse(value.strip());
      } catch (NumberFormatException | DateTimeParseException | ArithmeticException e) {
        throw new TypeConversionException("'" + value + "' is not a duration (250ms, 10s, 2m, 1h or PT10S)");
      }
    }
  }

  /** {@code FROM=TO}, both {@code http://} URLs. */
  static final class RemapConverter implements ITypeConverter<RemapRule> {
    @Override
    public RemapRule convert(String value) {
      int eq = value.indexOf('=');
      if (eq < 0) {
        throw new TypeConversionException("'" + value + "' is not FROM=TO (e.g. http://*/api/=http://127.0.0.1:9000/)");
      }
      try {
        return RemapRule.parse(value.substring(0, eq).strip(), value.substring(eq + 1).strip());
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  /** {@code NAME URL... [OPTION=VALUE...]} (docs/server.md, "Upstream groups"). */
  static final class UpstreamConverter extends ParsingConverter<UpstreamGroup> {
    UpstreamConverter() {
      super(value -> UpstreamGroup.parse(value, System::nanoTime));
    }
  }

  /** {@code append}, {@code replace} or {@code off}. */
  static final class ForwardingModeConverter extends ParsingConverter<ForwardingPolicy.Mode> {
    ForwardingModeConverter() {
      super(ForwardingPolicy.Mode::parse);
    }
  }

  /** {@code off}, {@code optional}, {@code v1}, {@code v2} or {@code any}. */
  static final class ProxyProtocolModeConverter extends ParsingConverter<ProxyProtocolMode> {
    ProxyProtocolModeConverter() {
      super(ProxyProtocolMode::parse);
    }
  }

  /** {@code off}, {@code v1} or {@code v2}. */
  static final class OriginProxyProtocolConverter extends ParsingConverter<OriginProxyProtocol> {
    OriginProxyProtocolConverter() {
      super(OriginProxyProtocol::parse);
    }
  }

  /** {@code allow 127.0.0.0/8, deny 0.0.0.0/0}. */
  static final class IpAllowConverter extends ParsingConverter<IpAllowList> {
    IpAllowConverter() {
      super(IpAllowList::parse);
    }
  }

  /** {@code /prefix/=host:port}. */
  static final class InterceptRouteConverter implements ITypeConverter<AdoptedSocketIntercept.Route> {
    @Override
    public AdoptedSocketIntercept.Route convert(String value) {
      try {
        return AdoptedSocketIntercept.Route.parse(value.strip());
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = ServerCli.class.getPackage().getImplementationVersion();
      return new String[] {"vconn-server " + (v == null ? "(development build)" : v)};
    }
  }
}
