package dev.vconn.netty;

import dev.vconn.ports.contract.ProxyProtocolContract;
import dev.vconn.ports.contract.TransportHarness;

class NettyNioProxyProtocolTest extends ProxyProtocolContract {
    @Override protected TransportHarness newHarness() { return new NettyHarness(true); }
}
