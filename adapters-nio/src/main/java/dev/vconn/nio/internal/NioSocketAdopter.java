package dev.vconn.nio.internal;

import dev.vconn.domain.VConn;
import dev.vconn.ports.AdoptionException;
import dev.vconn.ports.SocketAdopter;
import dev.vconn.ports.spi.AdoptionChecks;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.Objects;

/**
 * Adopts JDK socket channels (semantics.md rule 5.1): all checks happen before the channel is touched; if registration
 * fails after the switch to non-blocking mode, the mode is restored, so a refused channel is exactly as it was.
 */
public final class NioSocketAdopter implements SocketAdopter {
    private final NioTransportCore core;

    /** An adopter for the transport behind {@code core}. */
    public NioSocketAdopter(NioTransportCore core) {
        this.core = core;
    }

    @Override
    public VConn adopt(SocketChannel channel) throws AdoptionException {
        Objects.requireNonNull(channel, "channel");
        if (!core.isOpen()) {
            throw new AdoptionException("the nio transport is closed");
        }
        if (channel.provider() != SelectorProvider.provider()) {
            throw new AdoptionException("the nio transport adopts only JDK socket channels, got "
                    + channel.getClass().getName());
        }
        AdoptionChecks.requireAdoptable(channel);
        NioEventLoop loop = core.nextLoop();
        boolean wasBlocking = channel.isBlocking();
        NioSocketVConn vconn;
        try {
            channel.configureBlocking(false);
            vconn = new NioSocketVConn(loop, channel, core.tracker());
            vconn.register();
        } catch (IOException | RuntimeException e) {
            AdoptionChecks.restoreBlocking(channel, wasBlocking, e);
            throw new AdoptionException("the socket could not be registered: " + e, e);
        }
        return vconn;
    }
}
