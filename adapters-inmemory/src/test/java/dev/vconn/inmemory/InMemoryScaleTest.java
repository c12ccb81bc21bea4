package dev.vconn.inmemory;

import dev.vconn.ports.contract.ScaleContract;
import dev.vconn.ports.contract.TransportHarness;

/** The contract kit's {@code ScaleContract} on the inmemory transport. */
class InMemoryScaleTest extends ScaleContract {
    @Override
    protected TransportHarness newHarness() {
        return new InMemoryHarness();
    }
}
