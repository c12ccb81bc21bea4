package dev.vconn.netty;

import dev.vconn.ports.Transport;
import dev.vconn.ports.TransportConfig;
import dev.vconn.ports.TransportProvider;

/** Makes {@link NettyTransport}s; registered for {@link java.util.ServiceLoader} under the name {@code netty}. */
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
        return new NettyTransport(config);
    }
}
