package dev.vconn.app.architecture.planted.bad.domain;

import java.net.Socket;

/** Violates domain_uses_no_sockets_or_channels: the domain holds a blocking java.net.Socket. */
public class SocketHoldingVConn {
    private final Socket socket;

    public SocketHoldingVConn(Socket socket) {
        this.socket = socket;
    }

    public boolean isOpen() {
        return !socket.isClosed();
    }
}
