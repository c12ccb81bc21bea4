package dev.vconn.app.architecture.planted.bad.netty;

import dev.vconn.app.architecture.planted.thirdparty.netty.FakeChannel;

/** Uses "Netty" legitimately: this is the netty adapter. */
public class NettyTransport {
    private FakeChannel channel;

    public String name() {
        return "netty";
    }

    public void send(Object message) {
        channel.writeAndFlush(message);
    }
}
