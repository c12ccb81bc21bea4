package dev.vconn.inmemory;

import dev.vconn.ports.contract.SocketBehaviourContract;
import dev.vconn.ports.contract.TransportHarness;

/** The contract kit's {@code SocketBehaviourContract} on in-memory channels: they must do what Linux sockets do. */
class InMemorySocketBehaviourTest extends SocketBehaviourContract {
    @Override
    protected TransportHarness newHarness() {
        return new InMemoryHarness();
    }
}
