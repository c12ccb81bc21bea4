package dev.vconn.inmemory;

import dev.vconn.ports.contract.TlsContract;
import dev.vconn.ports.contract.TransportHarness;

class InMemoryTlsTest extends TlsContract {
    @Override
    protected TransportHarness newHarness() {
        return new InMemoryHarness();
    }
}
