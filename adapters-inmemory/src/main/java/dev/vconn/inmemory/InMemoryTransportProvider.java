package dev.vconn.inmemory;

import dev.vconn.ports.Transport;
import dev.vconn.ports.TransportConfig;
import dev.vconn.ports.TransportProvider;

/** Makes {@link InMemoryTransport}s; found by {@code Transports.load("inmemory")}. */
public final class InMemoryTransportProvider implements TransportProvider {
    /** The provider {@link java.util.ServiceLoader} instantiates. */
    public InMemoryTransportProvider() {
    }

    @Override
    public String name() {
        return InMemoryTransport.NAME;
    }

    @Override
    public Transport create(TransportConfig config) {
        return new InMemoryTransport(config);
    }
}
