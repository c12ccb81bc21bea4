package dev.vconn.ports;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.VConn;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.tls.TlsContext;
import dev.vconn.domain.tls.TlsVConn;
import java.util.Objects;

/**
 * How a port starts TLS on a connection it makes: the {@link TlsContext} (server or client), the {@link BlockPool}
 * the records are staged in (usually the transport's {@link Transport#blockPool()}) and, for a client, the peer's
 * host name (sent as SNI and checked against its certificate unless the context turns either off) and port.
 *
 * <p>Every port that accepts these options wraps the connection it made in a {@link TlsVConn} ({@link #wrap}), which
 * starts its handshake at once, so the context's handshake timeout counts from the connection's start. TLS is built
 * once in the domain, so this is the same on every transport. See {@code docs/tls.md}.
 *
 * @param context  the TLS settings; its role decides which side of the handshake is played
 * @param pool     where record buffers come from
 * @param peerHost a client's peer host name; {@code null} for a server
 * @param peerPort a client's peer port (a hint for session resumption); {@code -1} for a server
 */
public record TlsOptions(TlsContext context, BlockPool pool, String peerHost, int peerPort) {
    /** Validates the fields against the context's role. */
    public TlsOptions {
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(pool, "pool");
        if (context.role() == TlsContext.Role.CLIENT) {
            Objects.requireNonNull(peerHost, "a TLS client needs peerHost (SNI and hostname verification)");
        } else if (peerHost != null) {
            throw new IllegalArgumentException("a TLS server has no peerHost, was " + peerHost);
        }
    }

    /** The server side: accepted or adopted connections play the server of the handshake. */
    public static TlsOptions server(TlsContext context, BlockPool pool) {
        return new TlsOptions(context, pool, null, -1);
    }

    /** The client side, towards {@code peerHost}:{@code peerPort}. */
    public static TlsOptions client(TlsContext context, BlockPool pool, String peerHost, int peerPort) {
        return new TlsOptions(context, pool, peerHost, peerPort);
    }

    /** Whether this side plays the server of the handshake. */
    public boolean isServer() {
        return context.role() == TlsContext.Role.SERVER;
    }

    /**
     * Wraps {@code inner} (which the TLS VConn then owns) and starts the handshake.
     *
     * @return the TLS VConn over {@code inner}
     */
    public TlsVConn wrap(VConn inner) {
        TlsVConn tls = isServer() ? TlsVConn.server(inner, context, pool)
                : TlsVConn.client(inner, context, pool, peerHost, peerPort);
        tls.startHandshake();
        return tls;
    }

    /**
     * A continuation (sharing {@code target}'s lock) that hands {@code target} the VConn of {@code event} wrapped in
     * TLS, and every other event as it came.
     */
    Continuation wrapping(Continuation target, Event event) {
        Objects.requireNonNull(target, "continuation");
        return Continuation.sharingLockWith(target, (e, data) -> {
            if (e == event && data instanceof VConn made) {
                target.handler().handle(e, wrap(made));
            } else {
                target.handler().handle(e, data);
            }
        });
    }

    void requireRole(TlsContext.Role role, String port) {
        if (context.role() != role) {
            throw new IllegalArgumentException(port + " needs TlsOptions with a " + role + " TlsContext, was "
                    + context);
        }
    }
}
