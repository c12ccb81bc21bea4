package dev.vconn.inmemory;

import dev.vconn.ports.contract.ShutdownCloseContract;
import dev.vconn.ports.contract.TransportHarness;

class InMemoryShutdownCloseTest extends ShutdownCloseContract {
    @Override
    protected TransportHarness newHarness() {
        return new InMemoryHarness();
    }
}
