package dev.vconn.netty;

import dev.vconn.ports.contract.AdoptionContract;
import dev.vconn.ports.contract.TransportHarness;

class NettyAdoptionTest extends AdoptionContract {
    @Override protected TransportHarness newHarness() { return new NettyHarness(); }
}
