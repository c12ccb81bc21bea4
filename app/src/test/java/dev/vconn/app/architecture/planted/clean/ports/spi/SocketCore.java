package dev.vconn.app.architecture.planted.clean.ports.spi;

import dev.vconn.app.architecture.planted.clean.domain.spi.SharedCore;

/** Another module's spi package may build on the domain's spi (the shared socket VConn does). */
public abstract class SocketCore extends SharedCore {
}
