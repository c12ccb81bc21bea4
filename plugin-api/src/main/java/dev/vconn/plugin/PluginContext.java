package dev.vconn.plugin;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.http.HttpHookId;
import dev.vconn.domain.http.HttpLimits;
import dev.vconn.domain.http.HttpStats;
import dev.vconn.domain.http.HttpTimeouts;
import dev.vconn.ports.HttpConnector;
import dev.vconn.ports.SocketAdopter;

/**
 * What the server gives a plugin at {@link Plugin#init}: the transport's resources, the proxy's, the plugin's own
 * settings, and the places to register hooks and interceptors. One context per plugin, valid until the plugin is
 * closed; the methods may be called from any thread.
 */
public interface PluginContext {

  /**
   * The transport's name ({@code nio}, {@code netty}, ...).
   *
   * @return the name
   */
  String transportName();

  /**
   * The transport's block pool: every IOBuffer a plugin makes for the transport's VConns comes from it (and goes
   * back to it when closed; the server checks that nothing is left outstanding).
   *
   * @return the pool
   */
  BlockPool blockPool();

  /**
   * The in-process connector into this server's proxy ({@code TSHttpConnect}): a connection that goes straight
   * into the HTTP state machine, no socket. The object may be kept from {@code init}; connecting works from
   * {@link Plugin#start()} on.
   *
   * @return the connector
   * @see dev.vconn.plugin.http.InProcessClient
   */
  HttpConnector httpConnector();

  /**
   * The transport's socket adopter ({@code TSVConnFdCreate}): turns a connected channel the plugin opened into a
   * VConn on the transport's loops.
   *
   * @return the adopter
   */
  SocketAdopter socketAdopter();

  /**
   * The proxy's counters.
   *
   * @return the live counters
   * @throws IllegalStateException before {@link Plugin#start()}: the proxy does not exist yet during {@code init}
   */
  HttpStats stats();

  /**
   * The proxy's head limits (what an intercept server must accept: see
   * {@link dev.vconn.plugin.http.InterceptServer#continuation}).
   *
   * @return the limits
   */
  HttpLimits limits();

  /**
   * The proxy's timeouts (connect, inactivity, ...), for plugins that do I/O of their own.
   *
   * @return the timeouts
   */
  HttpTimeouts timeouts();

  /**
   * This plugin's settings: the config file's {@code plugin.NAME.KEY = value} lines for its name.
   *
   * @return the settings
   */
  PluginSettings settings();

  /**
   * Adds a global hook (Traffic Server's {@code TSHttpHookAdd}): the continuation gets the hook's event with the
   * {@link dev.vconn.domain.http.HttpTxn} as data and must reenable the transaction. Hooks of one id run in the
   * order they were added, plugin by plugin.
   *
   * @param id where in the transaction it runs
   * @param hook the continuation
   * @throws IllegalStateException after {@link Plugin#init} returned
   */
  void addHook(HttpHookId id, Continuation hook);

  /**
   * Adds an interceptor: a way to serve requests without an origin.
   *
   * @param interceptor asked at READ_REQUEST_HDR, after the interceptors of the plugins before this one
   * @throws IllegalStateException after {@link Plugin#init} returned
   */
  void addInterceptor(Interceptor interceptor);
}
