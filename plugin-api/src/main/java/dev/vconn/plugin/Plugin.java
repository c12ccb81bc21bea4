package dev.vconn.plugin;

import java.util.List;

/**
 * A vconn-server plugin: global hooks on the HTTP state machine (Traffic Server's {@code TSHttpHookAdd}) and,
 * optionally, requests it serves itself (server intercepts). vconn-server finds plugins with
 * {@link java.util.ServiceLoader}: a jar names its implementations in {@code META-INF/services/dev.vconn.plugin.Plugin},
 * one class name per line, and each needs a public no-argument constructor.
 *
 * <p>The lifecycle, in the server's order:
 *
 * <ol>
 *   <li>The server constructs every plugin it finds and reads its {@link #name()}, enabled or not; a constructor
 *       does nothing else (no threads, no I/O).
 *   <li>{@link #init(PluginContext)}, for the enabled plugins in their order, before the proxy is built: read the
 *       settings, register hooks and interceptors, allocate what the plugin holds. Only here may hooks be added.
 *   <li>{@link #start()}, once the proxy and its in-process connector exist and before the listener accepts the
 *       first client: from here on {@link PluginContext#httpConnector()} and {@link PluginContext#stats()} work.
 *   <li>Requests: hooks and interceptors run on the event loops, concurrently.
 *   <li>{@link #close()}, in reverse order, once the graceful stop drained the proxy (or its shutdown timeout ran
 *       out) and the proxy is closed, before the transport is closed: release threads and buffers here.
 * </ol>
 *
 * <p>An exception from {@code init} or {@code start} stops the server's startup with an error naming the plugin
 * (exit status 1 for {@code vconn-server}); the plugins initialized so far are closed.
 */
public interface Plugin extends AutoCloseable {

  /**
   * The plugin's name: what the config file calls it ({@code plugin.NAME.enabled}, {@code plugin.NAME.KEY}). Lower
   * case letters, digits and {@code -}, starting with a letter or digit; unique among the plugins a server finds.
   *
   * @return the name
   */
  String name();

  /**
   * Lines for the server's index page: what this plugin serves or does. The default is none.
   *
   * @return zero or more lines
   */
  default List<String> describe() {
    return List.of();
  }

  /**
   * Reads the settings and registers hooks and interceptors; called once, before the proxy is built. Every setting
   * must be read here: a {@code plugin.NAME.KEY} the plugin never asked for is reported as a configuration error
   * (a misspelt key would otherwise be silently ignored). The default does nothing.
   *
   * @param context the server's resources and this plugin's settings; valid for the plugin's lifetime
   * @throws Exception if the plugin cannot run (a bad setting, say): the server does not start
   */
  default void init(PluginContext context) throws Exception {}

  /**
   * The proxy is built and about to accept clients. The default does nothing.
   *
   * @throws Exception if the plugin cannot run: the server does not start
   */
  default void start() throws Exception {}

  /**
   * Releases what the plugin holds (threads, say); called once the proxy has stopped, even if {@link #start()} was
   * never called. The default does nothing.
   */
  @Override
  default void close() {}
}
