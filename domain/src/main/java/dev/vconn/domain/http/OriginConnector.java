package dev.vconn.domain.http;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ScheduledAction;
import java.time.Duration;

/**
 * How the state machine opens connections to origins. The transport's {@code NetConnector} provides it (ports'
 * {@code OriginConnectors}); the domain itself never sees a socket or an address resolver.
 *
 * <p>Same contract as {@code NetConnector}: the continuation gets exactly one event, never inside this call:
 * {@link dev.vconn.domain.Event#NET_CONNECT} with the connected {@link dev.vconn.domain.VConn}, or
 * {@link dev.vconn.domain.Event#NET_CONNECT_FAILED} with a {@link dev.vconn.domain.VConnError} (ETIMEDOUT after
 * {@code timeout}).
 */
@FunctionalInterface
public interface OriginConnector {

  /**
   * Connects to an origin.
   *
   * @param continuation receives NET_CONNECT or NET_CONNECT_FAILED
   * @param host the origin's host name or address literal
   * @param port the origin's port
   * @param timeout how long the attempt may take
   * @return an action whose {@code cancel()} abandons the attempt
   */
  ScheduledAction connect(Continuation continuation, String host, int port, Duration timeout);
}
