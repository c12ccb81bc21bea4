package dev.vconn.netty;

import dev.vconn.ports.contract.BackpressureContract;
import dev.vconn.ports.contract.TransportHarness;

class NettyNioBackpressureTest extends BackpressureContract {
    @Override protected TransportHarness newHarness() { return new NettyHarness(true); }
}
