package dev.vconn.app.plugins;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.http.HttpHooks;
import dev.vconn.domain.http.HttpTxn;
import java.util.List;

/**
 * A vconn-server plugin: global hooks on the HTTP state machine (Traffic Server's {@code TSHttpHookAdd}) and,
 * optionally, requests it serves itself (server intercepts). The server asks its intercepting plugins in order at
 * READ_REQUEST_HDR (through one {@link InterceptRouter} hook); the first that claims a request serves it, and
 * requests nobody claims go on to remap.
 */
public interface Plugin extends AutoCloseable {

  /**
   * Lines for the server's index page: what this plugin serves or does.
   *
   * @return one or more lines
   */
  List<String> describe();

  /**
   * Adds this plugin's global hooks, besides intercepts. The default adds none.
   *
   * @param hooks the server's hooks
   */
  default void register(HttpHooks.Builder hooks) {}

  /**
   * Claims a request: called at READ_REQUEST_HDR, on the client connection's loop; must not block. The default
   * claims nothing.
   *
   * @param txn the transaction, stopped at READ_REQUEST_HDR (do not reenable it: the router does)
   * @return the continuation to pass to {@link HttpTxn#intercept}, or null to leave the request alone
   */
  default Continuation intercept(HttpTxn txn) {
    return null;
  }

  /** Releases what the plugin holds (threads, say); called once the proxy has stopped. The default does nothing. */
  @Override
  default void close() {}
}
