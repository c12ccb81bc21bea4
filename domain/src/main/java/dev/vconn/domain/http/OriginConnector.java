package dev.vconn.domain.http;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.ScheduledAction;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VConnError;
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

  /**
   * Connects to an origin, over TLS if {@code tls} ({@code https} remap targets): NET_CONNECT then carries a TLS
   * VConn whose handshake is under way, with SNI {@code host} and the certificate checked against it (unless the
   * connector's TLS settings turn that off); a failed handshake ends its reads and writes with ERROR. This default
   * reaches plain origins only: for {@code tls} it answers NET_CONNECT_FAILED (EPROTO) and closes the
   * connection, so a connector without TLS settings never sends a request in clear text to an https origin.
   *
   * @param continuation receives NET_CONNECT or NET_CONNECT_FAILED
   * @param host the origin's host name or address literal
   * @param port the origin's port
   * @param tls whether to speak TLS to the origin
   * @param timeout how long the attempt may take
   * @return an action whose {@code cancel()} abandons the attempt
   */
  default ScheduledAction connect(Continuation continuation, String host, int port, boolean tls, Duration timeout) {
    if (!tls) {
      return connect(continuation, host, port, timeout);
    }
    return connect(Continuation.sharingLockWith(continuation, (event, data) -> {
      if (event == Event.NET_CONNECT && data instanceof VConn made) {
        made.close();
        continuation.handler().handle(Event.NET_CONNECT_FAILED, VConnError.of(Errno.EPROTO,
            "this origin connector has no TLS settings; it cannot reach https://" + host + ":" + port));
      } else {
        continuation.handler().handle(event, data);
      }
    }), host, port, timeout);
  }
}
