package dev.vconn.app.architecture.planted.bad.ports;

import dev.vconn.app.architecture.planted.bad.domain.spi.LoopClock;

/** Violates spi_types_are_extended_only_by_transports: a ports API class implements a domain spi interface. */
public class PortClock implements LoopClock {
    @Override
    public long nanoTime() {
        return 0;
    }
}
