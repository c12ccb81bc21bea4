package dev.vconn.netty;

import dev.vconn.ports.contract.ConcurrencyContract;
import dev.vconn.ports.contract.TransportHarness;

class NettyConcurrencyTest extends ConcurrencyContract {
    @Override protected TransportHarness newHarness() { return new NettyHarness(); }
}
