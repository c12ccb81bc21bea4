/**
 * The toolkit for plugins that speak HTTP over VConns themselves: {@link dev.vconn.plugin.http.InterceptServer}
 * serves an intercepted transaction (whole or streamed responses, chunked with the proxy's own
 * {@link dev.vconn.domain.http.ChunkedEncoder}), {@link dev.vconn.plugin.http.InProcessClient} sends requests
 * through a kept-alive in-process connection, {@link dev.vconn.plugin.http.ResponseParser} and
 * {@link dev.vconn.plugin.http.BodyReader} parse messages for both, {@link dev.vconn.plugin.http.RequestTargets}
 * splits request targets.
 */
package dev.vconn.plugin.http;
