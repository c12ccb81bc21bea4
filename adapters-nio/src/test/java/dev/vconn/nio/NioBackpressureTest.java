package dev.vconn.nio;

import dev.vconn.ports.contract.BackpressureContract;
import dev.vconn.ports.contract.TransportHarness;

/** The contract kit's {@code BackpressureContract} on the java.nio transport. */
class NioBackpressureTest extends BackpressureContract {
    @Override
    protected TransportHarness newHarness() {
        return new NioHarness();
    }
}
