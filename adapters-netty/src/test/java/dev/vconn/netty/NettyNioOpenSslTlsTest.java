package dev.vconn.netty;

import dev.vconn.domain.tls.TlsEngineProvider;
import dev.vconn.ports.contract.TlsContract;
import dev.vconn.ports.contract.TransportHarness;

/** The contract kit's TLS section on Netty's NIO loops with the openssl engine on both sides. */
class NettyNioOpenSslTlsTest extends TlsContract {
    private final OpenSslTlsEngineProvider openssl = OpenSslTlsEngineProvider.create();

    @Override protected TransportHarness newHarness() { return new NettyHarness(true); }

    @Override protected TlsEngineProvider serverEngine() { return openssl; }

    @Override protected TlsEngineProvider clientEngine() { return openssl; }
}
