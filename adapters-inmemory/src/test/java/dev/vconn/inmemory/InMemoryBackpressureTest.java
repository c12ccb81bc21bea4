package dev.vconn.inmemory;

import dev.vconn.ports.contract.BackpressureContract;
import dev.vconn.ports.contract.TransportHarness;

class InMemoryBackpressureTest extends BackpressureContract {
    @Override
    protected TransportHarness newHarness() {
        return new InMemoryHarness();
    }
}
