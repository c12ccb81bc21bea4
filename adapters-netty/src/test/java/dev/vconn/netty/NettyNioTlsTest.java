package dev.vconn.netty;

import dev.vconn.ports.contract.TlsContract;
import dev.vconn.ports.contract.TransportHarness;

class NettyNioTlsTest extends TlsContract {
    @Override protected TransportHarness newHarness() { return new NettyHarness(true); }
}
