package dev.vconn.ports.spi;

import dev.vconn.ports.AdoptionException;
import java.io.IOException;
import java.nio.channels.SocketChannel;

/**
 * The checks every {@link dev.vconn.ports.SocketAdopter} makes, shared so that transports refuse the same
 * sockets with the same reasons (semantics.md rule 5.1): everything is checked before the channel is touched, and if a
 * failure comes after the switch to non-blocking mode, the mode is put back.
 */
public final class AdoptionChecks {
    private AdoptionChecks() {
    }

    /**
     * Refuses a channel that is closed, not connected, or registered with a selector, in that order, without
     * touching it.
     *
     * @throws AdoptionException saying which
     */
    public static void requireAdoptable(SocketChannel channel) throws AdoptionException {
        if (!channel.isOpen()) {
            throw new AdoptionException("the socket is closed");
        }
        if (!channel.isConnected()) {
            throw new AdoptionException("the socket is not connected: " + channel);
        }
        if (channel.isRegistered()) {
            throw new AdoptionException("the socket is already registered with a selector (adopted already, or in "
                    + "use elsewhere; cancel its key and let the selector deregister it first): " + channel);
        }
    }

    /**
     * Puts back the blocking mode a refused channel had before adoption began, so that it is exactly as it was;
     * a failure to do so is added to {@code failure} as suppressed.
     */
    public static void restoreBlocking(SocketChannel channel, boolean wasBlocking, Throwable failure) {
        try {
            if (channel.isOpen() && channel.isBlocking() != wasBlocking && !channel.isRegistered()) {
                channel.configureBlocking(wasBlocking);
            }
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }
}
