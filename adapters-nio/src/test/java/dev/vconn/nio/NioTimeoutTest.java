package dev.vconn.nio;

import dev.vconn.ports.contract.TimeoutContract;
import dev.vconn.ports.contract.TransportHarness;

/** The contract kit's {@code TimeoutContract} on the java.nio transport. */
class NioTimeoutTest extends TimeoutContract {
    @Override
    protected TransportHarness newHarness() {
        return new NioHarness();
    }
}
