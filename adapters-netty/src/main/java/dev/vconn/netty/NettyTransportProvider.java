package dev.vconn.netty;

import dev.vconn.netty.internal.NettyVersionCheck;
import dev.vconn.ports.Transport;
import dev.vconn.ports.TransportConfig;
import dev.vconn.ports.TransportProvider;

/**
 * Makes {@link NettyTransport}s; registered for {@link java.util.ServiceLoader} under the name {@code netty}. Before
 * making one it checks that the Netty on the class path is 4.2.x, so that {@code Transports.load("netty")} with an
 * older Netty fails with an {@link IllegalStateException} naming the required and the found versions.
 */
public final class NettyTransportProvider implements TransportProvider {
    /** Used by {@link java.util.ServiceLoader}. */
    public NettyTransportProvider() {
    }

    @Override
    public String name() {
        return NettyTransport.NAME;
    }

    @Override
    public Transport create(TransportConfig config) {
        NettyVersionCheck.requireSupportedNetty();
        return new NettyTransport(config);
    }
}
