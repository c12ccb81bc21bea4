package dev.vconn.app.architecture.planted.bad.nio;

import dev.vconn.app.architecture.planted.bad.netty.NettyTransport;

/** Violates adapters_do_not_depend_on_each_other: the nio adapter borrows from the netty one. */
public class NioTransport {
    private final NettyTransport fallback = new NettyTransport();

    public String name() {
        return "nio+" + fallback.name();
    }
}
