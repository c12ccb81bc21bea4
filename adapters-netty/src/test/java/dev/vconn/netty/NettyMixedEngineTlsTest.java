package dev.vconn.netty;

import dev.vconn.domain.tls.TlsEngineProvider;
import dev.vconn.ports.contract.TlsContract;
import dev.vconn.ports.contract.TransportHarness;
import org.junit.jupiter.api.Nested;

/** The contract kit's TLS section on epoll with mixed engines: each engine must interoperate with the other. */
class NettyMixedEngineTlsTest {
    /** An openssl server, JDK clients. */
    @Nested
    class OpenSslServer extends TlsContract {
        private final OpenSslTlsEngineProvider openssl = OpenSslTlsEngineProvider.create();

        @Override protected TransportHarness newHarness() { return new NettyHarness(); }

        @Override protected TlsEngineProvider serverEngine() { return openssl; }
    }

    /** A JDK server, openssl clients. */
    @Nested
    class OpenSslClient extends TlsContract {
        private final OpenSslTlsEngineProvider openssl = OpenSslTlsEngineProvider.create();

        @Override protected TransportHarness newHarness() { return new NettyHarness(); }

        @Override protected TlsEngineProvider clientEngine() { return openssl; }
    }
}
