package dev.vconn.app.architecture.planted.clean.domain;

import java.net.SocketAddress;

/** Domain API; a client address (SocketAddress is a value type, not socket I/O) is allowed. */
public interface VConn {
    SocketAddress clientAddress();

    void close();
}
