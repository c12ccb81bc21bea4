/**
 * The plugin API of vconn-server ({@code dev.vconn.plugin}: {@code Plugin}, {@code PluginContext},
 * {@code PluginSettings}, {@code Interceptor}) and the toolkit for plugins that speak HTTP over VConns
 * ({@code dev.vconn.plugin.http}: intercept server, in-process client, body and response parsing). Plugins are found
 * with {@link java.util.ServiceLoader} as providers of {@code dev.vconn.plugin.Plugin} (docs/server.md, Plugins).
 */
module dev.vconn.plugin {
    exports dev.vconn.plugin;
    exports dev.vconn.plugin.http;

    // Plugin signatures are made of domain and ports types (BlockPool, HttpConnector, Continuation, HttpTxn, ...).
    requires transitive dev.vconn.domain;
    requires transitive dev.vconn.ports;
    requires org.slf4j;

    uses dev.vconn.plugin.Plugin;
}
