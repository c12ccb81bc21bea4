package dev.vconn.nio;

import dev.vconn.ports.contract.TlsContract;
import dev.vconn.ports.contract.TransportHarness;

/** The contract kit's {@code TlsContract} on the java.nio transport. */
class NioTlsTest extends TlsContract {
    @Override
    protected TransportHarness newHarness() {
        return new NioHarness();
    }
}
