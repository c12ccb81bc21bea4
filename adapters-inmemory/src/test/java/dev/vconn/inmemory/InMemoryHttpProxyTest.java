package dev.vconn.inmemory;

import dev.vconn.ports.contract.HttpProxyContract;
import dev.vconn.ports.contract.TransportHarness;

class InMemoryHttpProxyTest extends HttpProxyContract {
    @Override
    protected TransportHarness newHarness() {
        return new InMemoryHarness();
    }
}
