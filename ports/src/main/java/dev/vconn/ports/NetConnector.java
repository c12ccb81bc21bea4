package dev.vconn.ports;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.ScheduledAction;
import dev.vconn.domain.tls.TlsContext;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * Opens outbound connections: Traffic Server's {@code TSNetConnect}.
 *
 * <p>The continuation gets exactly one event, never both and never twice: {@link dev.vconn.domain.Event#NET_CONNECT}
 * with the new, connected {@link dev.vconn.domain.VConn} once the connection is established, or
 * {@link dev.vconn.domain.Event#NET_CONNECT_FAILED} with a {@link dev.vconn.domain.VConnError} (code and cause)
 * on refusal, unreachable address or timeout. Unlike Traffic Server, the event is never delivered inside the
 * call. After NET_CONNECT the VConn belongs to the caller, who must close it.
 *
 * <p>A connect called on one of the transport's event loops that carries outbound connections is pinned to that
 * loop (the VConn's {@code eventLoop()} is the caller's), so a caller keeps its connections on its own thread; from
 * any other thread the loop is chosen round robin (docs/threading.md, Loop affinity).
 */
public interface NetConnector {
    /** The connect timeout used by {@link #connect(Continuation, SocketAddress)}. */
    Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(30);

    /**
     * Connects to {@code remote} with {@link #DEFAULT_CONNECT_TIMEOUT}.
     *
     * @return an action whose {@code cancel()} abandons the attempt (no event follows a successful cancel)
     */
    default ScheduledAction connect(Continuation continuation, SocketAddress remote) {
        return connect(continuation, remote, DEFAULT_CONNECT_TIMEOUT);
    }

    /**
     * Connects to {@code remote}, failing with ETIMEDOUT after {@code timeout}.
     *
     * @return an action whose {@code cancel()} abandons the attempt (no event follows a successful cancel)
     * @throws IllegalArgumentException if {@code timeout} is not positive
     * @throws IllegalStateException if the transport is closed
     */
    ScheduledAction connect(Continuation continuation, SocketAddress remote, Duration timeout);

    /**
     * Connects to {@code remote} and starts TLS as the client: NET_CONNECT carries a client
     * {@link dev.vconn.domain.tls.TlsVConn} over the new connection, its handshake started (SNI and hostname
     * verification towards {@link TlsOptions#peerHost()} unless the context turns them off). {@code timeout} bounds
     * the TCP connect; the context's handshake timeout bounds the handshake. A handshake that fails (unknown CA,
     * hostname mismatch, an alert) ends the TLS VConn's reads and writes with ERROR, errno EPROTO and the
     * {@link javax.net.ssl.SSLException} naming the reason as cause; its {@code handshake()} fails with it too.
     *
     * @param tls client-side options ({@link TlsOptions#client})
     * @throws IllegalArgumentException if {@code tls} is not for a client, or {@code timeout} is not positive
     */
    default ScheduledAction connect(Continuation continuation, SocketAddress remote, Duration timeout,
            TlsOptions tls) {
        Objects.requireNonNull(tls, "tls").requireRole(TlsContext.Role.CLIENT, "a TLS connect");
        return connect(tls.wrapping(continuation, Event.NET_CONNECT), remote, timeout);
    }
}
