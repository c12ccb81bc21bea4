package dev.vconn.inmemory;

import dev.vconn.ports.contract.IdleMemoryContract;
import dev.vconn.ports.contract.TransportHarness;

/** The contract kit's {@code IdleMemoryContract} on the in-memory transport. */
class InMemoryIdleMemoryTest extends IdleMemoryContract {
    @Override
    protected TransportHarness newHarness() {
        return new InMemoryHarness();
    }
}
