package dev.vconn.netty;

import dev.vconn.ports.contract.SocketBehaviourContract;
import dev.vconn.ports.contract.TransportHarness;

class NettySocketBehaviourTest extends SocketBehaviourContract {
    @Override protected TransportHarness newHarness() { return new NettyHarness(); }
}
