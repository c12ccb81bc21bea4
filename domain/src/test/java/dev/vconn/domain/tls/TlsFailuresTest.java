package dev.vconn.domain.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Event;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.testing.EventLog;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.Test;

/**
 * Handshake failures surface as ERROR with errno {@link TlsVConn#EPROTO} and the {@link SSLException} naming the
 * reason as cause, on each side that learns of it (the other side gets the alert).
 */
class TlsFailuresTest extends TlsFixture {

    /** Both sides post a read (and the client a write), runs, and returns each side's ERROR. */
    VConnError[] failBoth(Conn c) {
        return failBoth(c, true);
    }

    /**
     * As {@link #failBoth(Conn)}; {@code clientWriteFails} is false where TLS 1.3 lets the client finish its side of
     * the handshake (and its write) before the server rejects the client's certificate.
     */
    VConnError[] failBoth(Conn c, boolean clientWriteFails) {
        Collector atServer = new Collector(c.server(), Long.MAX_VALUE);
        Collector atClient = new Collector(c.client(), Long.MAX_VALUE);
        EventLog clientWrite = new EventLog();
        send(c.client(), clientWrite, "GET / HTTP/1.1\r\n\r\n");
        run();
        assertEquals("", atServer.text.toString(), "no plaintext crossed a failed handshake");
        assertEquals(Event.ERROR, atClient.log.last().event(), "client read: " + atClient.log.events());
        assertEquals(Event.ERROR, atServer.log.last().event(), "server read: " + atServer.log.events());
        assertEquals(clientWriteFails ? Event.ERROR : Event.WRITE_COMPLETE, clientWrite.last().event(),
                "client write: " + clientWrite.events());
        assertEquals(clientWriteFails, c.client().handshake().isCompletedExceptionally());
        assertTrue(c.server().handshake().isCompletedExceptionally());
        VConnError client = c.client().error();
        VConnError server = c.server().error();
        return new VConnError[] {client, server};
    }

    static void assertTls(VConnError e, String reason) {
        assertNotNull(e);
        assertEquals(TlsVConn.EPROTO, e.errno(), e.toString());
        assertInstanceOf(SSLException.class, e.cause());
        assertTrue(e.cause().getMessage().contains(reason), "'" + reason + "' in " + e.cause());
    }

    @Test
    void a_server_certificate_from_an_unknown_ca_fails_on_both_sides() {
        TlsContext server = TlsContext.server().certificate(res("rogue.pem"), res("rogue.key"))
                .delegatedTaskExecutor(direct).build();
        VConnError[] e = failBoth(connect(clientContext().build(), server, "localhost"));
        assertTls(e[0], "unable to find valid certification path");
        assertTls(e[1], "certificate_unknown");
    }

    @Test
    void a_hostname_mismatch_fails_on_both_sides() {
        VConnError[] e = failBoth(connect(clientContext().build(), serverContext().build(), "wrong.test"));
        assertTls(e[0], "No subject alternative DNS name matching wrong.test");
        assertTls(e[1], "certificate_unknown");
    }

    @Test
    void no_common_protocol_version_fails_on_both_sides() {
        TlsContext server = serverContext().protocols("TLSv1.3").build();
        TlsContext client = clientContext().protocols("TLSv1.2").build();
        VConnError[] e = failBoth(connect(client, server, "localhost"));
        assertTls(e[0], "protocol_version");
        assertTls(e[1], "not accepted by server preferences");
    }

    @Test
    void client_auth_need_without_a_certificate_fails_naming_the_missing_certificate() {
        TlsContext server = serverContext().clientAuth(TlsContext.ClientAuth.NEED).trustPem(res("ca.pem")).build();
        VConnError[] e = failBoth(connect(clientContext().build(), server, "localhost"), false);
        // The alert depends on the JDK: 17 sends bad_certificate, newer ones TLS 1.3's certificate_required
        // (RFC 8446, section 4.4.2.4). Either names the reason; both are fatal.
        String alert = e[0] != null && e[0].cause() != null && String.valueOf(e[0].cause().getMessage())
                .contains("certificate_required") ? "certificate_required" : "bad_certificate";
        assertTls(e[0], alert);
        assertTls(e[1], "Empty client certificate chain");
    }

    @Test
    void no_common_alpn_protocol_fails_on_both_sides() {
        TlsContext server = serverContext().alpn("h2").build();
        VConnError[] e = failBoth(connect(clientContext().build(), server, "localhost"));
        assertTls(e[0], "no_application_protocol");
        assertTls(e[1], "No matching application layer protocol");
    }

    @Test
    void a_plaintext_http_request_on_a_tls_server_fails_at_once_with_an_alert_never_a_hang() {
        var pair = pair(dev.vconn.domain.pair.VConnPair.Options.defaults());
        TlsVConn server = track(TlsVConn.server(pair.passive(), serverContext().build(), pool));
        track(pair.active());
        Collector atServer = new Collector(server, Long.MAX_VALUE);
        Collector raw = new Collector(pair.active(), Long.MAX_VALUE);
        send(pair.active(), new EventLog(), "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        run();
        assertEquals(Event.ERROR, atServer.log.last().event());
        assertTls(server.error(), "Unrecognized SSL message, plaintext connection?");
        assertTrue(raw.text.length() > 0 && raw.text.charAt(0) == 21, "the client got a TLS alert record");
        assertEquals(Event.EOS, raw.log.last().event(), "then the end of the stream");
    }

    @Test
    void a_connection_that_ends_during_the_handshake_is_an_error_on_both_roles() {
        var toServer = pair(dev.vconn.domain.pair.VConnPair.Options.defaults());
        TlsVConn server = track(TlsVConn.server(toServer.passive(), serverContext().build(), pool));
        Collector atServer = new Collector(server, Long.MAX_VALUE);
        send(toServer.active(), new EventLog(), "\u0016\u0003\u0001\u0000"); // the start of a record header
        loop.runReady(); // no virtual time passes: the handshake timeout is not what ends it here
        toServer.active().close();
        run();
        assertEquals(Event.ERROR, atServer.log.last().event());
        assertTls(server.error(), "ended during the TLS handshake");

        var toClient = pair(dev.vconn.domain.pair.VConnPair.Options.defaults());
        TlsVConn client = track(TlsVConn.client(toClient.active(), clientContext().build(), pool, "localhost", 443));
        Collector hello = new Collector(toClient.passive(), Long.MAX_VALUE);
        client.startHandshake();
        loop.runReady();
        assertTrue(hello.text.length() > 0 && hello.text.charAt(0) == 22, "a ClientHello went out");
        toClient.passive().close();
        run();
        assertTrue(client.handshake().isCompletedExceptionally());
        Collector atClient = new Collector(client, Long.MAX_VALUE);
        run();
        assertEquals(Event.ERROR, atClient.log.last().event(), "ERROR is sticky for a new read");
        assertTls(client.error(), "TLS handshake");
    }

    @Test
    void a_record_header_announcing_more_than_a_record_may_hold_fails_at_once() {
        var pair = pair(dev.vconn.domain.pair.VConnPair.Options.defaults());
        TlsVConn server = track(TlsVConn.server(pair.passive(), serverContext().build(), pool));
        track(pair.active());
        Collector atServer = new Collector(server, Long.MAX_VALUE);
        send(pair.active(), new EventLog(), "\u0016\u0003\u0003\u007f\u007f"); // a handshake record of 32639 bytes
        run();
        assertEquals(Event.ERROR, atServer.log.last().event(), "no waiting for 32 KiB that never come");
        assertTls(server.error(), "record_overflow");
    }
}
