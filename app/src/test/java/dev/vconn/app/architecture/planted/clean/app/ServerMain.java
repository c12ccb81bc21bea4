package dev.vconn.app.architecture.planted.clean.app;

import dev.vconn.app.architecture.planted.clean.domain.http.HttpSession;
import dev.vconn.app.architecture.planted.clean.inmemory.InMemoryTransport;
import dev.vconn.app.architecture.planted.clean.netty.NettyTransport;
import dev.vconn.app.architecture.planted.clean.nio.NioTransport;
import dev.vconn.app.architecture.planted.clean.ports.Transport;
import java.util.List;

/** The composition root may depend on everything. */
public class ServerMain {
    public List<Transport> transports() {
        new HttpSession();
        return List.of(new NioTransport(), new NettyTransport(), new InMemoryTransport());
    }
}
