package dev.vconn.inmemory;

import dev.vconn.ports.contract.ConcurrencyContract;
import dev.vconn.ports.contract.TransportHarness;

class InMemoryConcurrencyTest extends ConcurrencyContract {
    @Override
    protected TransportHarness newHarness() {
        return new InMemoryHarness();
    }
}
