package dev.vconn.nio;

import dev.vconn.ports.contract.ScaleContract;
import dev.vconn.ports.contract.TransportHarness;

/** The contract kit's {@code ScaleContract} on the nio transport. */
class NioScaleTest extends ScaleContract {
    @Override
    protected TransportHarness newHarness() {
        return new NioHarness();
    }
}
