package dev.vconn.app;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.util.List;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * {@code java -jar vconn-server.jar [options]}: parses the options, starts a {@link VconnServer}, prints where it
 * listens, on SIGHUP reloads its configuration ({@link VconnServer#reload()}), and on SIGTERM or SIGINT stops it
 * gracefully and exits with status 0.
 *
 * <p>SIGHUP is caught with {@code sun.misc.Signal} (module {@code jdk.unsupported}, which the JDK resolves for class
 * path applications such as this jar): the JDK's default for SIGHUP would run the shutdown hooks and stop the server.
 *
 * <p>Logging is slf4j-simple, configured by {@code simplelogger.properties} in the jar; any of its keys can be
 * overridden with a system property ({@code -Dorg.slf4j.simpleLogger.defaultLogLevel=debug}).
 */
public final class Main {
  private Main() {}

  /**
   * Runs the server until SIGTERM or SIGINT.
   *
   * @param args the command line; {@code --help} lists the options
   */
  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true, Charset.defaultCharset());
    PrintWriter err = new PrintWriter(System.err, true, Charset.defaultCharset());
    Launch launch = launch(args, out, err);
    if (launch.server() == null) {
      System.exit(launch.exitStatus());
      return;
    }
    VconnServer server = launch.server();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stopAndHalt(server), "vconn-server-shutdown"));
    reloadOnHangup(server);
    try {
      server.awaitStopped();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * What {@link #launch} did: started a server, or not (and the exit status to end with).
   *
   * @param server the running server, or null
   * @param exitStatus 0 with a server; else 0 (help, version), 1 (could not start) or 2 (usage error)
   */
  public record Launch(VconnServer server, int exitStatus) {}

  /**
   * Parses the command line (with the {@code VCONN_<KEY>} environment variables, docs/server.md), starts the server
   * and prints the startup line; the part of {@link #main} before it waits for a signal, so that tests and embedders
   * get the exit status instead of an exiting JVM.
   *
   * @param args the command line
   * @param out where the startup line, help and version go
   * @param err where errors go
   * @return the running server, or the exit status
   */
  public static Launch launch(String[] args, PrintWriter out, PrintWriter err) {
    ServerCli.Outcome outcome = ServerCli.parse(args, System.getenv(), out, err);
    if (outcome instanceof ServerCli.Exit exit) {
      return new Launch(null, exit.status());
    }
    ServerSettings settings = ((ServerCli.Run) outcome).settings();
    VconnServer server;
    try {
      server = VconnServer.start(settings, null, List.of(), ServerCli.source(args, System.getenv()));
    } catch (PluginLoadException e) {
      err.println("vconn-server: cannot start: " + e.getMessage());
      err.flush();
      return new Launch(null, 1);
    } catch (IOException | RuntimeException e) {
      err.println("vconn-server: cannot start on " + settings.listen() + " with transport " + settings.transport()
          + ": " + e.getMessage());
      err.flush();
      return new Launch(null, 1);
    }
    out.println(server.describe());
    out.flush();
    return new Launch(server, 0);
  }

  /** The signal that asks for a reload. */
  static final String HANGUP = "HUP";

  /**
   * Makes SIGHUP reload {@code server} instead of stopping the JVM; the reload runs on a thread of its own, so the
   * signal dispatcher is never held up by a slow file system.
   *
   * @return the handler SIGHUP had before, or null if this JVM cannot catch SIGHUP (it then keeps its default) or the
   *     process ignores it
   */
  static SignalHandler reloadOnHangup(VconnServer server) {
    try {
      SignalHandler before = Signal.handle(new Signal(HANGUP), hangupHandler(server));
      if (before == SignalHandler.SIG_IGN) {
        // A process started with SIGHUP ignored (nohup) keeps ignoring it: the JVM installs no handler over that.
        System.err.println("vconn-server: SIGHUP is ignored by this process (started with nohup?), so it cannot "
            + "trigger a reload; reload through the admin port instead");
        return null;
      }
      return before;
    } catch (IllegalArgumentException e) {
      System.err.println("vconn-server: SIGHUP cannot be caught on this platform (" + e.getMessage()
          + "); reload through the admin port instead");
      return null;
    }
  }

  /** What SIGHUP does: a reload on a new thread (the result is logged by {@link VconnServer#reload()}). */
  static SignalHandler hangupHandler(VconnServer server) {
    return signal -> {
      Thread t = new Thread(server::reload, "vconn-server-reload");
      t.start();
    };
  }

  /**
   * The shutdown hook: the JVM is already exiting (with 143 for SIGTERM, 130 for SIGINT); after a graceful stop
   * the server's work is done, so it ends the JVM with 0, as a clean stop should report.
   */
  private static void stopAndHalt(VconnServer server) {
    server.stop();
    flush(System.out);
    flush(System.err);
    Runtime.getRuntime().halt(0);
  }

  private static void flush(PrintStream s) {
    s.flush();
  }
}
