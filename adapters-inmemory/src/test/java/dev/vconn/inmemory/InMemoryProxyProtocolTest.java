package dev.vconn.inmemory;

import dev.vconn.ports.contract.ProxyProtocolContract;
import dev.vconn.ports.contract.TransportHarness;

class InMemoryProxyProtocolTest extends ProxyProtocolContract {
    @Override
    protected TransportHarness newHarness() {
        return new InMemoryHarness();
    }
}
