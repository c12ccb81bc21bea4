package dev.vconn.app.architecture.planted.clean.domain.spi;

import dev.vconn.app.architecture.planted.clean.domain.VConn;

/** The planted domain's implementor-only core, as domain.spi.AbstractVConn is for the real one. */
public abstract class SharedCore implements VConn {
    protected abstract int transportRead();
}
