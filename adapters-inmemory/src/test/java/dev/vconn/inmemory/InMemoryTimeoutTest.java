package dev.vconn.inmemory;

import dev.vconn.ports.contract.TimeoutContract;
import dev.vconn.ports.contract.TransportHarness;

class InMemoryTimeoutTest extends TimeoutContract {
    @Override
    protected TransportHarness newHarness() {
        return new InMemoryHarness();
    }
}
