package dev.vconn.nio;

import dev.vconn.ports.contract.SocketBehaviourContract;
import dev.vconn.ports.contract.TransportHarness;

/** The contract kit's {@code SocketBehaviourContract} on the java.nio transport: what Linux sockets do. */
class NioSocketBehaviourTest extends SocketBehaviourContract {
    @Override
    protected TransportHarness newHarness() {
        return new NioHarness();
    }
}
