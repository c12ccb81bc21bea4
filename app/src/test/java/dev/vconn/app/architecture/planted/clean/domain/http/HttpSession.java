package dev.vconn.app.architecture.planted.clean.domain.http;

import dev.vconn.app.architecture.planted.clean.domain.IOBuffer;
import dev.vconn.app.architecture.planted.clean.domain.VConn;

/** domain.http depends on domain, never the other way round. */
public class HttpSession {
    private final IOBuffer buffer = new IOBuffer();

    public void start(VConn client) {
        buffer.block(8);
        client.close();
    }
}
