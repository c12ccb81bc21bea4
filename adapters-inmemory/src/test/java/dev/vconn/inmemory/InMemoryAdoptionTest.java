package dev.vconn.inmemory;

import dev.vconn.ports.contract.AdoptionContract;
import dev.vconn.ports.contract.TransportHarness;

class InMemoryAdoptionTest extends AdoptionContract {
    @Override
    protected TransportHarness newHarness() {
        return new InMemoryHarness();
    }
}
