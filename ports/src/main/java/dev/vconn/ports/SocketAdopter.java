package dev.vconn.ports;

import dev.vconn.domain.VConn;
import java.nio.channels.SocketChannel;
import java.util.Objects;

/**
 * Adopts an already-connected socket into a VConn: Traffic Server's {@code TSVConnFdCreate} (semantics.md rule 5.1).
 *
 * <p>The socket must be open and connected; it is switched to non-blocking mode and registered with one of the
 * transport's event loops. <b>On success the VConn owns the socket</b>: closing the VConn closes it, and the
 * caller must not. <b>On failure</b> an {@link AdoptionException} says why and the socket is exactly as it was:
 * open, in the same blocking mode, registered nowhere; the caller still owns it and must close it.
 */
public interface SocketAdopter {
    /**
     * Adopts {@code channel}.
     *
     * @return a new open VConn that owns the channel
     * @throws AdoptionException if the channel is closed, not connected, already registered with a selector, of a
     *     kind this transport cannot drive, or the transport is shut down
     */
    VConn adopt(SocketChannel channel) throws AdoptionException;

    /**
     * Adopts {@code channel} and starts TLS on it, as the server or the client of the handshake as {@code tls} says:
     * returns a {@link dev.vconn.domain.tls.TlsVConn} over the adopted socket's VConn, its handshake started. The
     * TLS VConn owns the socket from then on (closing it closes the socket); the adoption rules are those of
     * {@link #adopt(SocketChannel)}, so on failure the socket is exactly as it was.
     *
     * @throws AdoptionException as {@link #adopt(SocketChannel)}
     */
    default VConn adopt(SocketChannel channel, TlsOptions tls) throws AdoptionException {
        Objects.requireNonNull(tls, "tls");
        return tls.wrap(adopt(channel));
    }

    /**
     * Whether {@link #adoptFileDescriptor(int)} can work on this transport: true on the Netty transport running
     * Linux epoll, false elsewhere (java.nio and the in-memory transport cannot drive a bare descriptor). The answer
     * does not change over the transport's life; a closed transport still answers, and then refuses adoption.
     *
     * @return whether raw descriptors can be adopted here
     */
    default boolean supportsFileDescriptors() {
        return false;
    }

    /**
     * Adopts a raw connected TCP socket descriptor: {@code TSVConnFdCreate(int fd)} as Traffic Server spells it.
     * Only where {@link #supportsFileDescriptors()} says true. The checks (open, a TCP socket, connected, not
     * adopted already, transport open) all happen before anything changes; then the socket is switched to
     * non-blocking mode.
     *
     * <p>On success the VConn owns the socket: closing the VConn closes {@code fd}, and the caller must not use or
     * close it. On failure the descriptor is open and still the caller's; the one change that cannot be undone is
     * the non-blocking mode, made only after every check passed, so only a loop refusing the socket can leave it
     * behind (the refusal says so).
     *
     * @param fd an open, connected TCP socket descriptor
     * @return a new open VConn that owns the descriptor
     * @throws AdoptionException saying why the descriptor was refused (closed, not a socket, not TCP, not
     *     connected, adopted already, transport closed)
     * @throws UnsupportedOperationException if {@link #supportsFileDescriptors()} is false, naming that query
     */
    default VConn adoptFileDescriptor(int fd) throws AdoptionException {
        throw new UnsupportedOperationException("this transport cannot adopt raw file descriptors; ask "
                + "SocketAdopter.supportsFileDescriptors() first");
    }
}
