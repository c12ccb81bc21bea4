package dev.vconn.app.architecture.planted.bad.inmemory;

import dev.vconn.app.architecture.planted.bad.domain.internal.PooledBlock;

/** Violates internal_packages_are_not_used_across_modules: reaches into domain.internal. */
public class InternalPeeker {
    public int peek(PooledBlock block) {
        return block.refCount();
    }
}
