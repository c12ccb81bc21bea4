package dev.vconn.netty;

import dev.vconn.ports.contract.IdleMemoryContract;
import dev.vconn.ports.contract.TransportHarness;

/** The contract kit's {@code IdleMemoryContract} on the Netty transport (epoll where available). */
class NettyIdleMemoryTest extends IdleMemoryContract {
    @Override
    protected TransportHarness newHarness() {
        return new NettyHarness();
    }
}
