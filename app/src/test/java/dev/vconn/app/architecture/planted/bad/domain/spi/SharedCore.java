package dev.vconn.app.architecture.planted.bad.domain.spi;

/** The planted domain's implementor-only core, as domain.spi.AbstractVConn is for the real one. */
public abstract class SharedCore {
    protected abstract int transportRead();
}
