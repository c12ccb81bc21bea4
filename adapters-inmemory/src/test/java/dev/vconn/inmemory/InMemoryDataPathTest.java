package dev.vconn.inmemory;

import dev.vconn.ports.contract.DataPathContract;
import dev.vconn.ports.contract.TransportHarness;

class InMemoryDataPathTest extends DataPathContract {
    @Override
    protected TransportHarness newHarness() {
        return new InMemoryHarness();
    }
}
