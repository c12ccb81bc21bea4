package dev.vconn.nio;

import dev.vconn.ports.contract.IdleMemoryContract;
import dev.vconn.ports.contract.TransportHarness;

/** The contract kit's {@code IdleMemoryContract} on the java.nio transport. */
class NioIdleMemoryTest extends IdleMemoryContract {
    @Override
    protected TransportHarness newHarness() {
        return new NioHarness();
    }
}
