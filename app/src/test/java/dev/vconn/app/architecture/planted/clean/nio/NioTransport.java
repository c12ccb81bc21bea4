package dev.vconn.app.architecture.planted.clean.nio;

import dev.vconn.app.architecture.planted.clean.nio.internal.SelectorLoop;
import dev.vconn.app.architecture.planted.clean.ports.SocketAdopter;
import dev.vconn.app.architecture.planted.clean.ports.Transport;

/** An adapter depends on ports, domain and its own internals. */
public class NioTransport implements Transport {
    private final SelectorLoop loop = new SelectorLoop();

    @Override
    public String name() {
        return "nio";
    }

    @Override
    public SocketAdopter socketAdopter() {
        return channel -> loop.register(channel);
    }
}
