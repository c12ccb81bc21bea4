package dev.vconn.nio;

import dev.vconn.ports.contract.HttpsProxyContract;
import dev.vconn.ports.contract.TransportHarness;

class NioHttpsProxyTest extends HttpsProxyContract {
    @Override
    protected TransportHarness newHarness() {
        return new NioHarness();
    }
}
