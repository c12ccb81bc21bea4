package dev.vconn.app.architecture.planted.bad.app;

import dev.vconn.app.architecture.planted.bad.domain.spi.SharedCore;

/** Violates spi_types_are_extended_only_by_transports: the app builds its own VConn on the domain's spi core. */
public class HomemadeVConn extends SharedCore {
    @Override
    protected int transportRead() {
        return 0;
    }
}
