package dev.vconn.domain.http2;

import dev.vconn.domain.VConn;
import java.net.SocketAddress;

/**
 * Opens the in-process connection that carries one HTTP/2 stream as an HTTP/1.1 transaction. The ports'
 * {@code HttpConnector} satisfies it: {@code (id, addr) -> connector.connect(HttpConnectOptions.builder().tag("h2")
 * .id(id).clientAddress(addr).build())}, so every stream's access-log line carries {@code pitag=h2 piid=<id>}.
 *
 * <p>Called by {@link Http2ServerSession} on the client connection's loop, under the session's lock, once per stream
 * that finds no idle in-process connection in the session's pool. The returned VConn is the active end, open, and
 * owned by the session from then on (it closes it). Throwing (or returning a closed VConn) fails only that stream:
 * the client gets a 502 response on it.
 */
@FunctionalInterface
public interface Http2StreamConnector {

  /**
   * Opens one in-process connection.
   *
   * @param connectionId the client connection's distinct number (the access log's {@code piid})
   * @param clientAddress the real client's address, or null if unknown
   * @return the active end of the new connection, open, owned by the caller
   */
  VConn connect(long connectionId, SocketAddress clientAddress);
}
