package dev.vconn.ports;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.tls.TlsContext;
import java.io.IOException;
import java.net.SocketAddress;
import java.util.Objects;

/**
 * Accepts inbound connections: Traffic Server's {@code TSNetAccept}. Every accepted connection is delivered to
 * the acceptor continuation as {@link dev.vconn.domain.Event#NET_ACCEPT} with the new
 * {@link dev.vconn.domain.VConn}, which then belongs to the acceptor.
 */
public interface NetAcceptor {
    /**
     * Starts listening.
     *
     * @param address  where to listen; a port of 0 picks a free one (see {@link Listener#localAddress()})
     * @param acceptor receives NET_ACCEPT per connection
     * @throws IOException if the address cannot be bound
     */
    Listener listen(SocketAddress address, Continuation acceptor) throws IOException;

    /**
     * Starts listening for TLS: every accepted connection is wrapped in a server {@link dev.vconn.domain.tls.TlsVConn}
     * (its handshake started, so the context's handshake timeout closes a client that stalls) before it reaches the
     * acceptor, which gets NET_ACCEPT with the TLS VConn. The acceptor runs under its own lock as usual.
     *
     * @param tls server-side options ({@link TlsOptions#server})
     * @throws IllegalArgumentException if {@code tls} is not for a server
     * @throws IOException if the address cannot be bound
     */
    default Listener listen(SocketAddress address, Continuation acceptor, TlsOptions tls) throws IOException {
        Objects.requireNonNull(tls, "tls").requireRole(TlsContext.Role.SERVER, "a TLS listener");
        return listen(address, tls.wrapping(acceptor, Event.NET_ACCEPT));
    }

    /** A listening endpoint. */
    interface Listener extends AutoCloseable {
        /** The address actually bound. */
        SocketAddress localAddress();

        /** Whether it still accepts. */
        boolean isOpen();

        /** Stops accepting; connections already accepted are not affected. Idempotent. */
        @Override
        void close();
    }
}
