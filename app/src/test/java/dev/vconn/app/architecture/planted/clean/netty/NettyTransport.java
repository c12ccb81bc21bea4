package dev.vconn.app.architecture.planted.clean.netty;

import dev.vconn.app.architecture.planted.clean.ports.SocketAdopter;
import dev.vconn.app.architecture.planted.clean.ports.Transport;
import dev.vconn.app.architecture.planted.thirdparty.netty.FakeChannel;

/** Only the netty adapter uses "Netty". */
public class NettyTransport implements Transport {
    private FakeChannel channel;

    @Override
    public String name() {
        return "netty";
    }

    @Override
    public SocketAdopter socketAdopter() {
        return socketChannel -> {
            channel.writeAndFlush(socketChannel);
            return null;
        };
    }
}
