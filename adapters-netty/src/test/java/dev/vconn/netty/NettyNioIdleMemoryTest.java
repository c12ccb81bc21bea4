package dev.vconn.netty;

import dev.vconn.ports.contract.IdleMemoryContract;
import dev.vconn.ports.contract.TransportHarness;

/** The contract kit's {@code IdleMemoryContract} on the Netty transport on its NIO loops. */
class NettyNioIdleMemoryTest extends IdleMemoryContract {
    @Override
    protected TransportHarness newHarness() {
        return new NettyHarness(true);
    }
}
