package dev.vconn.netty;

import dev.vconn.ports.contract.HttpConnectorContract;
import dev.vconn.ports.contract.TransportHarness;

class NettyNioHttpConnectorTest extends HttpConnectorContract {
    @Override protected TransportHarness newHarness() { return new NettyHarness(true); }
}
