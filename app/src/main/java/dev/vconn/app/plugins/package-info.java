/**
 * vconn-server's bundled plugins, after Traffic Server's example plugins: the in-process fan-out fetcher, the null
 * transform and the adopted-socket intercept, found with {@link java.util.ServiceLoader} like a third party's
 * (this module's {@code META-INF/services/dev.vconn.plugin.Plugin}); the server's own built-in routes; and the
 * router that asks the plugins' interceptors in order. A new plugin implements {@link dev.vconn.plugin.Plugin}.
 */
package dev.vconn.app.plugins;
