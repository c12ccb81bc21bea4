package dev.vconn.nio;

import dev.vconn.ports.Transport;
import dev.vconn.ports.TransportConfig;
import dev.vconn.ports.TransportProvider;

/** Makes {@link NioTransport}s; registered for {@link java.util.ServiceLoader} under the name {@code nio}. */
public final class NioTransportProvider implements TransportProvider {
    /** Used by {@link java.util.ServiceLoader}. */
    public NioTransportProvider() {
    }

    @Override
    public String name() {
        return NioTransport.NAME;
    }

    @Override
    public Transport create(TransportConfig config) {
        return new NioTransport(config);
    }
}
