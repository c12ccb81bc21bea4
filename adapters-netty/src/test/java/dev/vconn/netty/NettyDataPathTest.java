package dev.vconn.netty;

import dev.vconn.ports.contract.DataPathContract;
import dev.vconn.ports.contract.TransportHarness;

class NettyDataPathTest extends DataPathContract {
    @Override protected TransportHarness newHarness() { return new NettyHarness(); }
}
