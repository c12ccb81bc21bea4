package dev.vconn.inmemory;

import dev.vconn.ports.contract.HttpsProxyContract;
import dev.vconn.ports.contract.TransportHarness;

class InMemoryHttpsProxyTest extends HttpsProxyContract {
    @Override
    protected TransportHarness newHarness() {
        return new InMemoryHarness();
    }
}
