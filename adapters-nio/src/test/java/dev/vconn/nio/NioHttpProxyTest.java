package dev.vconn.nio;

import dev.vconn.ports.contract.HttpProxyContract;
import dev.vconn.ports.contract.TransportHarness;

/** The contract kit's {@code HttpProxyContract} on the java.nio transport. */
class NioHttpProxyTest extends HttpProxyContract {
    @Override
    protected TransportHarness newHarness() {
        return new NioHarness();
    }
}
