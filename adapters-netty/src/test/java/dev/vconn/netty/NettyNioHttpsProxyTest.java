package dev.vconn.netty;

import dev.vconn.ports.contract.HttpsProxyContract;
import dev.vconn.ports.contract.TransportHarness;

class NettyNioHttpsProxyTest extends HttpsProxyContract {
    @Override
    protected TransportHarness newHarness() {
        return new NettyHarness(true);
    }
}
