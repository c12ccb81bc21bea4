package dev.vconn.nio;

import dev.vconn.ports.contract.NetContract;
import dev.vconn.ports.contract.TransportHarness;

/** The contract kit's {@code NetContract} on the java.nio transport. */
class NioNetTest extends NetContract {
    @Override
    protected TransportHarness newHarness() {
        return new NioHarness();
    }
}
