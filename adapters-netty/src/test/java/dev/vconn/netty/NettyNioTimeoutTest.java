package dev.vconn.netty;

import dev.vconn.ports.contract.TimeoutContract;
import dev.vconn.ports.contract.TransportHarness;

class NettyNioTimeoutTest extends TimeoutContract {
    @Override protected TransportHarness newHarness() { return new NettyHarness(true); }
}
