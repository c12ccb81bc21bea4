package dev.vconn.nio;

import dev.vconn.ports.contract.ConcurrencyContract;
import dev.vconn.ports.contract.TransportHarness;

/** The contract kit's {@code ConcurrencyContract} on the java.nio transport. */
class NioConcurrencyTest extends ConcurrencyContract {
    @Override
    protected TransportHarness newHarness() {
        return new NioHarness();
    }
}
