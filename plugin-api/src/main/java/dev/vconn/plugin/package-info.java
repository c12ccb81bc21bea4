/**
 * The vconn-server plugin API: {@link dev.vconn.plugin.Plugin} (found with {@link java.util.ServiceLoader}, with a
 * lifecycle tied to the server's start and graceful stop), {@link dev.vconn.plugin.PluginContext} (the block pool,
 * the in-process connector, the proxy's stats, the plugin's settings, hook and interceptor registration),
 * {@link dev.vconn.plugin.PluginSettings} and {@link dev.vconn.plugin.Interceptor}. The toolkit for plugins that
 * speak HTTP over VConns is in {@link dev.vconn.plugin.http}. A plugin depends on this module (and the libraries it
 * brings), never on the server.
 */
package dev.vconn.plugin;
