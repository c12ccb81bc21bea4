package dev.vconn.app.architecture.planted.clean.plugin;

import dev.vconn.app.architecture.planted.clean.domain.VConn;
import dev.vconn.app.architecture.planted.clean.ports.SocketAdopter;

/** The plugin API may use the domain and the ports. */
public interface Plugin {
    void init(SocketAdopter adopter, VConn example);
}
