package dev.vconn.netty;

import static dev.vconn.domain.Event.ERROR;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.VConnError;
import dev.vconn.domain.tls.TlsEngineProvider;
import dev.vconn.domain.tls.TlsVConn;
import dev.vconn.ports.contract.TlsContract;
import dev.vconn.ports.contract.TransportHarness;
import java.util.Locale;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The contract kit's TLS section on epoll with mixed engines: each engine must interoperate with the other. */
class NettyMixedEngineTlsTest {
    /** An openssl server, JDK clients. */
    @Nested
    class OpenSslServer extends TlsContract {
        private final OpenSslTlsEngineProvider openssl = OpenSslTlsEngineProvider.create();

        @Override protected TransportHarness newHarness() { return new NettyHarness(); }

        @Override protected TlsEngineProvider serverEngine() { return openssl; }

        @Test
        void a_client_that_accepts_no_algorithm_of_the_only_certificate_fails_both_sides_with_the_reason()
                throws Exception {
            // The server's only certificate has an EC key; this client accepts RSA-authenticated suites only. The
            // certificate is chosen without the JDK's chooser (docs/tls.md, Engines); the handshake still fails.
            Tls c = tlsConnect(tlsServer().build(), tlsClient().protocols("TLSv1.2")
                    .cipherSuites("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256").build(), "localhost");
            Reading atServer = postRead(c.server(), 10);
            Reading atClient = postRead(c.client(), 10);
            await("both sides fail", () -> atServer.recorder().saw(ERROR) && atClient.recorder().saw(ERROR));
            assertReason(c.server().error(), "NO_SHARED_CIPHER");
            assertReason(c.client().error(), "handshake_failure");
            assertTrue(c.server().sessionInfo().isEmpty());
            assertTrue(c.client().handshake().isCompletedExceptionally());
        }

        private static void assertReason(VConnError error, String reason) {
            assertNotNull(error, "no error");
            assertEquals(TlsVConn.EPROTO, error.errno(), error.toString());
            assertTrue(error.message().toLowerCase(Locale.ROOT).contains(reason.toLowerCase(Locale.ROOT)),
                    () -> "expected the reason " + reason + " in: " + error);
        }
    }

    /** A JDK server, openssl clients. */
    @Nested
    class OpenSslClient extends TlsContract {
        private final OpenSslTlsEngineProvider openssl = OpenSslTlsEngineProvider.create();

        @Override protected TransportHarness newHarness() { return new NettyHarness(); }

        @Override protected TlsEngineProvider clientEngine() { return openssl; }
    }
}
