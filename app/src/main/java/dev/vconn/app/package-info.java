/**
 * vconn-server: the runnable proxy ({@link dev.vconn.app.Main}, {@link dev.vconn.app.VconnServer}), its command
 * line and config file ({@link dev.vconn.app.ServerCli}), and plugin loading (with {@link java.util.ServiceLoader},
 * from the class path and {@code --plugin-path}); the bundled plugins live in {@code dev.vconn.app.plugins}. The
 * plugin API and its HTTP toolkit are the {@code plugin-api} module's ({@code dev.vconn.plugin}).
 */
package dev.vconn.app;
