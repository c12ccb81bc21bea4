package dev.vconn.nio;

import dev.vconn.ports.contract.ShutdownCloseContract;
import dev.vconn.ports.contract.TransportHarness;

/** The contract kit's {@code ShutdownCloseContract} on the java.nio transport. */
class NioShutdownCloseTest extends ShutdownCloseContract {
    @Override
    protected TransportHarness newHarness() {
        return new NioHarness();
    }
}
