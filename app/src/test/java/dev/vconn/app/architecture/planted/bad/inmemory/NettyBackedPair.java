package dev.vconn.app.architecture.planted.bad.inmemory;

import dev.vconn.app.architecture.planted.thirdparty.netty.FakeChannel;

/** Violates netty_only_in_netty_adapter: the in-memory adapter uses "Netty". */
public class NettyBackedPair {
    public void send(FakeChannel channel, Object message) {
        channel.writeAndFlush(message);
    }
}
