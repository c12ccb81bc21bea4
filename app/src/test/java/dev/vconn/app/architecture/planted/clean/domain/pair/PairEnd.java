package dev.vconn.app.architecture.planted.clean.domain.pair;

import dev.vconn.app.architecture.planted.clean.domain.spi.SharedCore;
import java.net.SocketAddress;

/** The domain's own module may extend its spi core (the in-process pair does). */
public class PairEnd extends SharedCore {
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
