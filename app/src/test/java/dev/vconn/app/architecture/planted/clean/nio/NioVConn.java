package dev.vconn.app.architecture.planted.clean.nio;

import dev.vconn.app.architecture.planted.clean.ports.spi.SocketCore;
import java.net.SocketAddress;

/** An adapter extends the spi types: that is what they are for. */
public class NioVConn extends SocketCore {
    @Override
    protected int transportRead() {
        return 0;
    }

    @Override
    public SocketAddress clientAddress() {
        return null;
    }

    @Override
    public void close() {
    }
}
