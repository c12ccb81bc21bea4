package dev.vconn.netty.internal;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Event;
import dev.vconn.ports.spi.AbstractTransport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import java.io.IOException;
import java.net.SocketAddress;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listening with a Netty server channel on one primary loop. An accepted connection stays on that loop unless another
 * primary loop holds at least {@value #HANDOFF_MARGIN} fewer live accepted connections, then it goes to the one with
 * the fewest
 * (docs/netty-adapter.md, Accepting): a client that opens one connection at a time never crosses threads, while many
 * concurrent connections still spread. Each is delivered as NET_ACCEPT on the loop its VConn is pinned to. Children
 * start with {@code AUTO_READ} off, so nothing is read before a VIO asks for it.
 */
public final class NettyListener {
    private static final Logger log = LoggerFactory.getLogger(NettyListener.class);
    private static final int BACKLOG = 1024;
    private static final long BIND_WAIT_MILLIS = 30_000;
    /** How many more accepted connections the accepting loop must hold than another before a connection goes there. */
    static final int HANDOFF_MARGIN = 4;

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
                // Takes every accepted channel before the bootstrap's own acceptor, which would register it on the
                // group's next loop (round robin): this one chooses the loop.
                .handler(new Handoff(core, boss, acceptor, open))
                .childHandler(new ChannelInboundHandlerAdapter()); // required by the bootstrap, never reached
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

    /** The server channel's handler: registers each accepted channel on the loop the hand-off policy chooses. */
    private static final class Handoff extends ChannelInboundHandlerAdapter {
        private final NettyTransportCore core;
        private final NettyEventLoop boss;
        private final Continuation acceptor;
        private final BooleanSupplier open;

        Handoff(NettyTransportCore core, NettyEventLoop boss, Continuation acceptor, BooleanSupplier open) {
            this.core = core;
            this.boss = boss;
            this.acceptor = acceptor;
            this.open = open;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Channel child = (Channel) msg;
            NettyEventLoop target = core.acceptLoop(boss, HANDOFF_MARGIN);
            try {
                child.config().setAutoRead(false);
                child.config().setOption(ChannelOption.TCP_NODELAY, core.tcpNoDelay());
                child.config().setOption(ChannelOption.SO_KEEPALIVE, core.keepAlive());
                child.pipeline().addLast(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accepted(core, ch, acceptor, open);
                    }
                });
            } catch (RuntimeException e) {
                log.warn("could not set up a connection accepted on {}", ctx.channel(), e);
                child.unsafe().closeForcibly();
                return;
            }
            // Counted now, so that a burst accepted in one round sees its own choices; a failed registration closes
            // the channel, which drops the count.
            target.countLive(child);
            // On the accepting loop itself this registers at once; on another one it is that loop's task.
            target.netty().register(child).addListener(f -> {
                if (!f.isSuccess()) {
                    log.warn("could not register a connection accepted on {}", ctx.channel(), f.cause());
                    child.unsafe().closeForcibly();
                }
            });
        }
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
