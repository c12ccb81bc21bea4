package dev.vconn.netty.internal;

import dev.vconn.domain.VConn;
import dev.vconn.ports.AdoptionException;
import dev.vconn.ports.SocketAdopter;
import dev.vconn.ports.spi.AdoptionChecks;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.Objects;

/**
 * Adopts JDK socket channels (semantics.md rule 5.1) onto Netty NIO loops: only a selector drives a JDK channel, and
 * its descriptor is not reachable without reflection, so even when epoll is primary adopted JDK channels run on
 * the transport's NIO loops. Every check happens before the channel is touched; if anything fails after the switch
 * to non-blocking mode, the mode is restored, so a refused channel is exactly as it was.
 */
public final class NettySocketAdopter implements SocketAdopter {
    private final NettyTransportCore core;

    /** An adopter for the transport behind {@code core}. */
    public NettySocketAdopter(NettyTransportCore core) {
        this.core = core;
    }

    @Override
    public VConn adopt(SocketChannel channel) throws AdoptionException {
        Objects.requireNonNull(channel, "channel");
        if (!core.enter()) {
            throw new AdoptionException("the netty transport is closed");
        }
        try {
            return adoptOpen(channel);
        } finally {
            core.exit();
        }
    }

    private VConn adoptOpen(SocketChannel channel) throws AdoptionException {
        if (channel.provider() != SelectorProvider.provider()) {
            throw new AdoptionException("the netty transport adopts only JDK socket channels, not this kind: "
                    + channel.getClass().getName());
        }
        AdoptionChecks.requireAdoptable(channel);
        NettyEventLoop loop = core.adoptionLoop();
        boolean wasBlocking = channel.isBlocking();
        ChannelVConn vconn;
        try {
            channel.configureBlocking(false);
            vconn = core.newVConn(loop, new NioSocketChannel(channel), null);
        } catch (IOException | RuntimeException e) {
            AdoptionChecks.restoreBlocking(channel, wasBlocking, e);
            throw new AdoptionException("the socket could not be prepared for adoption: " + e, e);
        }
        Throwable failure = Registration.registerAndAttach(loop, vconn.channel(), vconn);
        if (failure != null) {
            // Netty closes a channel whose registration failed; restore what is left to restore.
            AdoptionChecks.restoreBlocking(channel, wasBlocking, failure);
            throw new AdoptionException("the socket could not be registered with a loop: " + failure, failure);
        }
        return vconn;
    }
}
