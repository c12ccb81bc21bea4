package dev.vconn.ports;

import dev.vconn.domain.VConn;
import java.nio.channels.SocketChannel;

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
}
