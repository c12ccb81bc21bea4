package dev.vconn.netty;

import dev.vconn.ports.contract.ShutdownCloseContract;
import dev.vconn.ports.contract.TransportHarness;

class NettyNioShutdownCloseTest extends ShutdownCloseContract {
    @Override protected TransportHarness newHarness() { return new NettyHarness(true); }
}
