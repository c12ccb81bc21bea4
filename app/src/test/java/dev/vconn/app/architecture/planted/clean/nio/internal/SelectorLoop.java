package dev.vconn.app.architecture.planted.clean.nio.internal;

import dev.vconn.app.architecture.planted.clean.domain.VConn;
import java.io.IOException;
import java.nio.channels.SocketChannel;

/** An adapter internal, used only by its own adapter. */
public class SelectorLoop {
    public VConn register(SocketChannel channel) throws IOException {
        channel.configureBlocking(false);
        return null;
    }
}
