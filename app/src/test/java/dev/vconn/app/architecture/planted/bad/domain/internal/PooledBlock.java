package dev.vconn.app.architecture.planted.bad.domain.internal;

/** An implementation detail of the planted domain. */
public class PooledBlock {
    public int refCount() {
        return 1;
    }
}
