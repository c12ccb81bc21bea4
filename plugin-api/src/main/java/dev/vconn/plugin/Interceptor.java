package dev.vconn.plugin;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.http.HttpTxn;

/**
 * Claims requests a plugin serves itself (Traffic Server's {@code TSHttpTxnServerIntercept}). The server asks the
 * interceptors of all plugins in order at READ_REQUEST_HDR, through one hook: the first that returns a continuation
 * serves the request, and a request nobody claims goes on to remap. One hook rather than one per plugin, because a
 * hook cannot see whether an earlier one already intercepted the transaction.
 */
@FunctionalInterface
public interface Interceptor {

  /**
   * Claims a request: called on the client connection's loop; must not block. An exception answers the request with
   * 500.
   *
   * @param txn the transaction, stopped at READ_REQUEST_HDR (do not reenable it: the server does)
   * @return the continuation to pass to {@link HttpTxn#intercept} (one per transaction, for example
   *     {@link dev.vconn.plugin.http.InterceptServer#continuation}), or null to leave the request alone
   */
  Continuation intercept(HttpTxn txn);
}
