package dev.vconn.app.architecture.planted.clean.inmemory;

import dev.vconn.app.architecture.planted.clean.domain.IOBuffer;
import dev.vconn.app.architecture.planted.clean.ports.SocketAdopter;
import dev.vconn.app.architecture.planted.clean.ports.Transport;

/** The in-memory adapter, using ports and domain only. */
public class InMemoryTransport implements Transport {
    private final IOBuffer buffer = new IOBuffer();

    @Override
    public String name() {
        return "inmemory";
    }

    @Override
    public SocketAdopter socketAdopter() {
        return channel -> {
            buffer.block(0);
            return null;
        };
    }
}
