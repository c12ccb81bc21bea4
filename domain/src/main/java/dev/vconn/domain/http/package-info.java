/**
 * The HTTP/1.1 proxy state machine (docs/http.md), pure code over VConns: {@link dev.vconn.domain.http.HttpProxy}
 * turns each VConn it accepts (a network client from a {@code NetAcceptor}, or the passive end of an in-process
 * pair from an {@code HttpConnector}) into a session that serves transactions with keep-alive and pipelining,
 * streams Content-Length and chunked bodies through a tunnel with VIO backpressure, remaps requests to origins
 * reached through an {@link dev.vconn.domain.http.OriginConnector} (with a keep-alive pool), and lets plugins take
 * part through hooks ({@link dev.vconn.domain.http.HttpHookId}, {@link dev.vconn.domain.http.HttpTxn},
 * {@link dev.vconn.domain.http.HttpSsn}), server
 * intercepts and response transforms ({@link dev.vconn.domain.http.Transform}).
 *
 * <p>The head parser ({@link dev.vconn.domain.http.HttpHeadParser}) looks at a reader's bytes without consuming
 * them until a whole head is present, then consumes exactly the head. Bad input never escapes as an exception: it
 * gets the precise status (400, 408, 414, 431, 501, 505; 502/504 for origin failures) and a closed connection.
 * Limits come from {@link dev.vconn.domain.http.HttpLimits}, timeouts from
 * {@link dev.vconn.domain.http.HttpTimeouts}. Every transaction is logged through
 * {@link dev.vconn.domain.http.AccessLog} (slf4j logger {@code vconn.access} by default).
 *
 * <p>All text is handled as ISO-8859-1, so every byte maps to exactly one {@code char} and back. The full list of
 * features, limits, hooks and statuses is in {@code docs/http.md}.
 */
package dev.vconn.domain.http;
