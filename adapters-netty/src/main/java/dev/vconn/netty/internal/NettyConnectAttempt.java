package dev.vconn.netty.internal;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Errno;
import dev.vconn.domain.VConnError;
import dev.vconn.ports.spi.ConnectAttempt;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import java.io.IOException;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Locale;

/**
 * A non-blocking connect on a primary loop through a Netty {@link Bootstrap}: made once the channel is connected,
 * failed with the mapped cause on refusal. Timeout, cancel and the one event are {@link ConnectAttempt}'s, so
 * Netty's own connect timeout is off.
 */
public final class NettyConnectAttempt extends ConnectAttempt<NettyEventLoop> {
    private final NettyTransportCore core;
    private Channel channel;

    /** An attempt on {@code loop}, one of {@code core}'s primary loops. */
    public NettyConnectAttempt(NettyTransportCore core, NettyEventLoop loop, Continuation continuation,
            SocketAddress remote, Duration timeout) {
        super(loop, continuation, remote, timeout);
        this.core = core;
    }

    @Override
    protected void open() {
        Bootstrap bootstrap = new Bootstrap()
                .group(loop().netty())
                .channel(core.socketChannelClass())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 0)
                .option(ChannelOption.TCP_NODELAY, core.tcpNoDelay())
                .option(ChannelOption.SO_KEEPALIVE, core.keepAlive())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        // the VConn adds its handler once connected
                    }
                });
        ChannelFuture connecting = bootstrap.connect(remote());
        channel = connecting.channel();
        connecting.addListener(f -> finished(connecting));
    }

    private void finished(ChannelFuture connecting) {
        if (!connecting.isSuccess()) {
            failed(connectFailure(connecting.cause()));
            return;
        }
        if (!isPending()) {
            return; // cancelled or timed out meanwhile: abandon() closes the channel
        }
        ChannelVConn vconn = core.newVConn(loop(), connecting.channel(), null);
        vconn.attach();
        connected(vconn);
    }

    @Override
    protected void abandon() {
        if (channel != null) {
            channel.close();
        }
    }

    /** Maps a connect failure to an errno-like error. */
    static VConnError connectFailure(Throwable cause) {
        String msg = String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT);
        if (msg.contains("unreachable") || msg.contains("no route")) {
            return new VConnError(Errno.EHOSTUNREACH, String.valueOf(cause.getMessage()), cause);
        }
        if (cause instanceof IOException io) {
            return VConnError.from(io, Errno.ECONNREFUSED);
        }
        return new VConnError(Errno.EIO, String.valueOf(cause), cause);
    }
}
