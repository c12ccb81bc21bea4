package dev.vconn.app.architecture.planted.clean.ports;

import dev.vconn.app.architecture.planted.clean.domain.VConn;
import java.io.IOException;
import java.nio.channels.SocketChannel;

/** Ports may use java.nio.channels (adoption takes a SocketChannel) and the domain. */
public interface SocketAdopter {
    VConn adopt(SocketChannel channel) throws IOException;
}
