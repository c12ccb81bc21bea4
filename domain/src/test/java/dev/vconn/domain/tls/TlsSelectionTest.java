package dev.vconn.domain.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Event;
import dev.vconn.domain.testing.EventLog;
import org.junit.jupiter.api.Test;

/** What the handshake selects: ALPN protocol, certificate by SNI, client certificates. */
class TlsSelectionTest extends TlsFixture {

    /** Connects, sends one byte each way, and returns the client's and the server's session facts. */
    TlsSessionInfo[] handshake(TlsContext client, TlsContext server, String host) {
        Conn c = connect(client, server, host);
        Collector atServer = new Collector(c.server(), 1);
        send(c.client(), new EventLog(), "x");
        run();
        assertEquals(Event.READ_COMPLETE, atServer.log.last().event(), host + ": " + c.client().error() + " / " + c.server().error());
        return new TlsSessionInfo[] {c.client().sessionInfo().orElseThrow(), c.server().sessionInfo().orElseThrow()};
    }

    @Test
    void the_server_picks_its_most_preferred_alpn_protocol_the_client_offered() {
        TlsSessionInfo[] h2 = handshake(clientContext().alpn("h2", "http/1.1").build(),
                serverContext().alpn("h2", "http/1.1").build(), "localhost");
        assertEquals("h2", h2[0].applicationProtocol());
        assertEquals("h2", h2[1].applicationProtocol());

        TlsSessionInfo[] http11 = handshake(clientContext().alpn("h2", "http/1.1").build(),
                serverContext().build(), "localhost");
        assertEquals("http/1.1", http11[0].applicationProtocol());

        TlsSessionInfo[] serverOrder = handshake(clientContext().alpn("http/1.1", "h2").build(),
                serverContext().alpn("h2", "http/1.1").build(), "localhost");
        assertEquals("h2", serverOrder[1].applicationProtocol(), "the server's preference wins");
    }

    TlsContext multiCertificateServer() {
        return serverContext()
                .certificate(res("other.pem"), res("other-encrypted.key"), "test-secret".toCharArray())
                .build();
    }

    @Test
    void sni_chooses_the_certificate_naming_the_requested_server_and_the_default_otherwise() {
        TlsContext server = multiCertificateServer();
        TlsSessionInfo[] other = handshake(clientContext().build(), server, "other.test");
        assertEquals("CN=other.test", other[0].peerSubject());
        assertEquals("other.test", other[1].serverName());

        TlsSessionInfo[] example = handshake(clientContext().build(), server, "example.test");
        assertEquals("CN=localhost", example[0].peerSubject(), "the default certificate also names example.test");

        TlsSessionInfo[] unknown = handshake(clientContext().verifyHostname(false).build(), server, "unknown.test");
        assertEquals("CN=localhost", unknown[0].peerSubject(), "no match: the default certificate");
        assertEquals("unknown.test", unknown[1].serverName());

        TlsSessionInfo[] noSni = handshake(clientContext().sendSni(false).build(), server, "localhost");
        assertEquals("CN=localhost", noSni[0].peerSubject());
        assertEquals("", noSni[1].serverName());
    }

    @Test
    void a_required_client_certificate_is_verified_and_visible_to_the_server() {
        TlsContext server = serverContext().clientAuth(TlsContext.ClientAuth.NEED).trustPem(res("ca.pem")).build();
        TlsContext client = clientContext()
                .clientCertificate(TlsKeyMaterial.fromPem(res("client.pem"), res("client.key"))).build();
        TlsSessionInfo[] h = handshake(client, server, "localhost");
        assertEquals("CN=vconn test client", h[1].peerSubject());
        assertEquals(2, h[1].peerCertificates().size());
    }

    @Test
    void a_wanted_client_certificate_may_be_missing() {
        TlsContext server = serverContext().clientAuth(TlsContext.ClientAuth.WANT).trustPem(res("ca.pem")).build();
        TlsSessionInfo[] h = handshake(clientContext().build(), server, "localhost");
        assertTrue(h[1].peerCertificates().isEmpty());
        assertEquals("", h[1].peerSubject());
    }

    @Test
    void a_server_asking_for_no_client_certificate_never_asks_its_session_for_one() {
        // The session's answer would be an exception on every handshake: the server knows the answer already.
        CountingEngineProvider counting = new CountingEngineProvider();
        TlsContext server = serverContext().engine(counting).build();
        TlsContext client = clientContext()
                .clientCertificate(TlsKeyMaterial.fromPem(res("client.pem"), res("client.key"))).build();
        TlsSessionInfo[] h = handshake(client, server, "localhost");
        assertTrue(h[1].peerCertificates().isEmpty(), "no client certificate without asking for one");
        assertEquals("", h[1].peerSubject());
        assertEquals(0, counting.peerCertificateQueries.get());
    }

    @Test
    void a_server_wanting_a_client_certificate_still_reads_it_from_its_session() {
        CountingEngineProvider counting = new CountingEngineProvider();
        TlsContext server = serverContext().clientAuth(TlsContext.ClientAuth.WANT).trustPem(res("ca.pem"))
                .engine(counting).build();
        TlsContext client = clientContext()
                .clientCertificate(TlsKeyMaterial.fromPem(res("client.pem"), res("client.key"))).build();
        TlsSessionInfo[] h = handshake(client, server, "localhost");
        assertEquals("CN=vconn test client", h[1].peerSubject());
        assertEquals(1, counting.peerCertificateQueries.get());
    }

    @Test
    void an_rsa_certificate_serves_too() {
        TlsContext server = TlsContext.server().certificate(res("rsa.pem"), res("rsa.key")).delegatedTaskExecutor(direct)
                .build();
        TlsSessionInfo[] h = handshake(clientContext().build(), server, "rsa.test");
        assertEquals("CN=rsa.test", h[0].peerSubject());
    }

    @Test
    void tls_1_2_negotiates_too() {
        TlsSessionInfo[] h = handshake(clientContext().protocols("TLSv1.2").build(), serverContext().build(),
                "localhost");
        assertEquals("TLSv1.2", h[0].protocol());
        assertEquals("TLSv1.2", h[1].protocol());
        assertEquals("http/1.1", h[1].applicationProtocol());
    }
}
