/**
 * vconn-server: the runnable proxy ({@link dev.vconn.app.Main}, {@link dev.vconn.app.VconnServer}), its command
 * line and config file ({@link dev.vconn.app.ServerCli}); example plugins live in {@code dev.vconn.app.plugins},
 * the plumbing they share (intercept server, in-process client, body reader) in {@code dev.vconn.app.http}.
 */
package dev.vconn.app;
