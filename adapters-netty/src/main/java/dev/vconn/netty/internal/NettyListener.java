package dev.vconn.netty.internal;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Event;
import dev.vconn.ports.spi.AbstractTransport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import java.io.IOException;
import java.net.SocketAddress;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listening with a Netty server channel on one primary loop; Netty spreads accepted connections over the primary loops,
 * and each is delivered as NET_ACCEPT on the loop its VConn is pinned to. Children start with {@code AUTO_READ}
 * off, so nothing is read before a VIO asks for it.
 */
public final class NettyListener {
    private static final Logger log = LoggerFactory.getLogger(NettyListener.class);
    private static final int BACKLOG = 1024;
    private static final long BIND_WAIT_MILLIS = 30_000;

    private NettyListener() {
    }

    /**
     * Binds {@code address} on one of {@code core}'s primary loops; connections accepted while {@code open} says
     * false (the transport is closing) are closed at once.
     */
    public static AbstractTransport.Binding open(NettyTransportCore core, SocketAddress address, Continuation acceptor,
            BooleanSupplier open) throws IOException {
        NettyEventLoop boss = core.currentOrNextLoop();
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss.netty(), core.primaryGroup())
                .channel(core.serverChannelClass())
                .option(ChannelOption.SO_BACKLOG, BACKLOG)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, core.tcpNoDelay())
                .childOption(ChannelOption.SO_KEEPALIVE, core.keepAlive())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accepted(core, ch, acceptor, open);
                    }
                });
        // register() then bind() run synchronously when called on the boss loop, so this never waits for itself.
        ChannelFuture registered = bootstrap.register();
        if (!registered.awaitUninterruptibly(BIND_WAIT_MILLIS) || !registered.isSuccess()) {
            registered.channel().close();
            throw failure("could not register a listener for " + address, registered.cause());
        }
        Channel server = registered.channel();
        ChannelFuture bound = server.bind(address);
        if (!bound.awaitUninterruptibly(BIND_WAIT_MILLIS) || !bound.isSuccess()) {
            server.close();
            throw failure("could not bind " + address, bound.cause());
        }
        SocketAddress local = server.localAddress();
        return new AbstractTransport.Binding(local, server::isOpen, () -> close(server), "listener " + local);
    }

    private static IOException failure(String what, Throwable cause) {
        if (cause instanceof IOException io) {
            return io;
        }
        return new IOException(what + (cause == null ? ": timed out" : ": " + cause), cause);
    }

    private static void accepted(NettyTransportCore core, Channel ch, Continuation acceptor, BooleanSupplier open) {
        if (!open.getAsBoolean()) {
            ch.close();
            return;
        }
        try {
            NettyEventLoop loop = core.loopOf(ch);
            ChannelVConn vconn = core.newVConn(loop, ch, null);
            vconn.attach();
            ContinuationScheduler.dispatch(loop, acceptor, Event.NET_ACCEPT, vconn);
        } catch (RuntimeException e) {
            log.warn("could not set up a connection accepted on {}", ch.parent(), e);
            ch.close();
        }
    }

    private static void close(Channel server) {
        ChannelFuture closing = server.close();
        if (!server.eventLoop().inEventLoop()) {
            closing.awaitUninterruptibly(BIND_WAIT_MILLIS);
        }
    }
}
