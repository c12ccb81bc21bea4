package dev.vconn.netty;

import dev.vconn.ports.contract.DataPathContract;
import dev.vconn.ports.contract.TransportHarness;

class NettyNioDataPathTest extends DataPathContract {
    @Override protected TransportHarness newHarness() { return new NettyHarness(true); }
}
