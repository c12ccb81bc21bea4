package dev.vconn.netty;

import dev.vconn.ports.contract.NetContract;
import dev.vconn.ports.contract.TransportHarness;

class NettyNioNetTest extends NetContract {
    @Override protected TransportHarness newHarness() { return new NettyHarness(true); }
}
