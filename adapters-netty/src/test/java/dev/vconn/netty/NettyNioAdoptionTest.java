package dev.vconn.netty;

import dev.vconn.ports.contract.AdoptionContract;
import dev.vconn.ports.contract.TransportHarness;

class NettyNioAdoptionTest extends AdoptionContract {
    @Override protected TransportHarness newHarness() { return new NettyHarness(true); }
}
