package dev.vconn.inmemory;

import dev.vconn.ports.contract.HttpConnectorContract;
import dev.vconn.ports.contract.TransportHarness;

class InMemoryHttpConnectorTest extends HttpConnectorContract {
    @Override
    protected TransportHarness newHarness() {
        return new InMemoryHarness();
    }
}
