package dev.vconn.nio;

import dev.vconn.ports.contract.AdoptionContract;
import dev.vconn.ports.contract.TransportHarness;

/** The contract kit's {@code AdoptionContract} on the java.nio transport. */
class NioAdoptionTest extends AdoptionContract {
    @Override
    protected TransportHarness newHarness() {
        return new NioHarness();
    }
}
