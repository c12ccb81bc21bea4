package dev.vconn.netty;

import dev.vconn.ports.contract.ShutdownCloseContract;
import dev.vconn.ports.contract.TransportHarness;

class NettyShutdownCloseTest extends ShutdownCloseContract {
    @Override protected TransportHarness newHarness() { return new NettyHarness(); }
}
