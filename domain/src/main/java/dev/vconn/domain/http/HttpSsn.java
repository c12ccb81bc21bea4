package dev.vconn.domain.http;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventLoop;
import java.net.SocketAddress;

/**
 * One client session (one client connection) as a plugin sees it ({@code TSHttpSsn}). The {@link HttpHookId#SSN_START}
 * and {@link HttpHookId#SSN_CLOSE} continuations receive it as the event data; {@link HttpTxn#session()} gives the
 * session of a transaction. Every method may be called from any thread.
 */
public interface HttpSsn {

  /**
   * A number unique within the proxy, increasing with each session.
   *
   * @return the session id
   */
  long id();

  /**
   * The client's address, as {@link HttpTxn#clientAddress()}.
   *
   * @return the client address, possibly null
   */
  SocketAddress clientAddress();

  /**
   * Whether the client is in-process ({@code TSHttpSsnIsInternal}).
   *
   * @return true for {@code HttpConnector} clients
   */
  boolean isInternal();

  /**
   * The tag of an in-process client, as {@link HttpTxn#pluginTag()}.
   *
   * @return the tag, or null for a network client
   */
  String pluginTag();

  /**
   * The id of an in-process client, as {@link HttpTxn#pluginId()}.
   *
   * @return the id, 0 if unset or for a network client
   */
  long pluginId();

  /**
   * The event loop of the client connection; every hook event of this session and its transactions is delivered
   * on it.
   *
   * @return the loop
   */
  EventLoop eventLoop();

  /**
   * Adds a hook for this session only ({@code TSHttpSsnHookAdd}): a transaction hook then runs for each transaction
   * of this session that has not passed it yet, after the global hooks of the same id and before the transaction's
   * own; {@link HttpHookId#SSN_CLOSE} runs after the global SSN_CLOSE hooks.
   *
   * @param id any hook but {@link HttpHookId#SSN_START}
   * @param continuation receives the hook's event and must reenable
   * @throws IllegalArgumentException for {@link HttpHookId#SSN_START}, which is global only
   */
  void addHook(HttpHookId id, Continuation continuation);

  /** Resumes the session after a session hook ({@code TSHttpSsnReenable} with {@code TS_EVENT_HTTP_CONTINUE}). */
  default void reenable() {
    reenable(Event.HTTP_CONTINUE);
  }

  /**
   * Resumes the session after a session hook ({@code TSHttpSsnReenable}). Callable from any thread; the session
   * continues on its event loop, never inside this call.
   *
   * @param event {@link Event#HTTP_CONTINUE}, or {@link Event#HTTP_ERROR} to close the session at
   *     {@link HttpHookId#SSN_START} without reading a request (SSN_CLOSE still runs); at SSN_CLOSE both only
   *     resume
   * @throws IllegalStateException if the session is not stopped at a session hook (a second reenable for one hook)
   * @throws IllegalArgumentException for any other event
   */
  void reenable(Event event);
}
