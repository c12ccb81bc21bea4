package dev.vconn.netty;

import dev.vconn.ports.contract.HttpProxyContract;
import dev.vconn.ports.contract.TransportHarness;

class NettyNioHttpProxyTest extends HttpProxyContract {
    @Override protected TransportHarness newHarness() { return new NettyHarness(true); }
}
