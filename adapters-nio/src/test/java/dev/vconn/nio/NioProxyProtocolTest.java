package dev.vconn.nio;

import dev.vconn.ports.contract.ProxyProtocolContract;
import dev.vconn.ports.contract.TransportHarness;

/** The contract kit's {@code ProxyProtocolContract} on the java.nio transport. */
class NioProxyProtocolTest extends ProxyProtocolContract {
    @Override
    protected TransportHarness newHarness() {
        return new NioHarness();
    }
}
