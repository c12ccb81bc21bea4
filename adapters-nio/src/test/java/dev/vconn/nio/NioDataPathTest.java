package dev.vconn.nio;

import dev.vconn.ports.contract.DataPathContract;
import dev.vconn.ports.contract.TransportHarness;

/** The contract kit's {@code DataPathContract} on the java.nio transport. */
class NioDataPathTest extends DataPathContract {
    @Override
    protected TransportHarness newHarness() {
        return new NioHarness();
    }
}
