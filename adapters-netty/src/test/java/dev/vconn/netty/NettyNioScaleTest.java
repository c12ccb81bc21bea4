package dev.vconn.netty;

import dev.vconn.ports.contract.ScaleContract;
import dev.vconn.ports.contract.TransportHarness;

class NettyNioScaleTest extends ScaleContract {
    @Override protected TransportHarness newHarness() { return new NettyHarness(true); }
}
