package dev.vconn.nio;

import dev.vconn.ports.contract.HttpConnectorContract;
import dev.vconn.ports.contract.TransportHarness;

/** The contract kit's {@code HttpConnectorContract} on the java.nio transport. */
class NioHttpConnectorTest extends HttpConnectorContract {
    @Override
    protected TransportHarness newHarness() {
        return new NioHarness();
    }
}
