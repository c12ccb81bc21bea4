package dev.vconn.inmemory;

import dev.vconn.ports.contract.NetContract;
import dev.vconn.ports.contract.TransportHarness;

class InMemoryNetTest extends NetContract {
    @Override
    protected TransportHarness newHarness() {
        return new InMemoryHarness();
    }
}
