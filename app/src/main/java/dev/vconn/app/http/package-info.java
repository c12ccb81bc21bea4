/**
 * Plumbing for plugins that speak HTTP over VConns themselves: {@link dev.vconn.app.http.InterceptServer} serves an
 * intercepted transaction, {@link dev.vconn.app.http.InProcessFetch} sends a request through an in-process
 * connection, {@link dev.vconn.app.http.BodyReader} decodes bodies for both.
 */
package dev.vconn.app.http;
