package dev.vconn.ports.contract;

import static dev.vconn.domain.Event.EOS;
import static dev.vconn.domain.Event.ERROR;
import static dev.vconn.domain.Event.READ_COMPLETE;
import static dev.vconn.domain.Event.WRITE_COMPLETE;
import static dev.vconn.ports.contract.Streams.KIB;
import static dev.vconn.ports.contract.Streams.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Errno;
import dev.vconn.domain.Event;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.tls.TlsContext;
import dev.vconn.domain.tls.TlsEngineProvider;
import dev.vconn.domain.tls.TlsKeyMaterial;
import dev.vconn.domain.tls.TlsSessionInfo;
import dev.vconn.domain.tls.TlsVConn;
import dev.vconn.ports.HttpConnectOptions;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.TlsOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.Test;

/**
 * TLS over the transport's own connections (docs/tls.md): a TLS listener ({@link NetAcceptor#listen(
 * java.net.SocketAddress, dev.vconn.domain.Continuation, TlsOptions)}), a TLS connect, an adopted socket and an
 * in-process pair, each carrying a {@link TlsVConn}. Handshake facts, bulk data with backpressure, close_notify,
 * truncation, certificate failures naming their reason, ALPN and SNI selection, plaintext on a TLS port, the
 * handshake timeout. The hygiene check of {@link TransportContract} runs after every case: every record buffer back
 * in the pool, every socket closed.
 *
 * <p>The engine's delegated tasks run on the loop here (a direct executor, which docs/tls.md allows), so the
 * virtual-time transport never advances its clock while a task runs on another thread.
 */
public abstract class TlsContract extends TransportContract {
    private static final BytePattern UP = new BytePattern(171);
    private static final BytePattern DOWN = new BytePattern(172);
    private static final Executor DIRECT = Runnable::run;
    private static final Path CERTS = copyCertificates();

    // -----------------------------------------------------------------------------------------------------------
    // Handshake and data

    @Test
    void a_tls_listener_and_a_tls_connect_handshake_and_report_what_they_agreed() throws Exception {
        Tls c = tlsConnect(tlsServer().build(), tlsClient().build(), "localhost");
        awaitHandshake(c);
        TlsSessionInfo client = c.client().sessionInfo().orElseThrow();
        TlsSessionInfo server = c.server().sessionInfo().orElseThrow();
        assertEquals("TLSv1.3", client.protocol());
        assertEquals(client.protocol(), server.protocol());
        assertEquals(client.cipherSuite(), server.cipherSuite());
        assertEquals("http/1.1", server.applicationProtocol(), "ALPN http/1.1 by default");
        assertEquals("localhost", server.serverName(), "the client sent SNI");
        assertTrue(client.peerSubject().contains("CN=localhost"), client.peerSubject());
        assertTrue(server.peerCertificates().isEmpty(), "no client certificate asked for");
        assertEquals(c.client().inner().remoteAddress(), c.client().remoteAddress());

        Reading atServer = postRead(c.server(), 5);
        Sent hello = send(c.client(), UP, 0, 5);
        await("5 bytes through TLS", () -> atServer.recorder().saw(READ_COMPLETE));
        assertEquals(5, atServer.drain(UP, 0));
        assertTrue(hello.recorder().saw(WRITE_COMPLETE));
    }

    @Test
    void bulk_data_both_ways_at_once_arrives_byte_for_byte_with_bounded_buffering() throws Exception {
        Tls c = tlsConnect(tlsServer().build(), tlsClient().build(), "localhost");
        long n = 8 * MIB;
        ReentrantLock clientLock = new ReentrantLock();
        ReentrantLock serverLock = new ReentrantLock();
        Streams.Receiver clientIn = tracked(new Streams.Receiver(buffer(), clientLock, DOWN));
        Streams.Receiver serverIn = tracked(new Streams.Receiver(buffer(), serverLock, UP));
        Streams.Sender clientOut = tracked(new Streams.Sender(buffer(), clientLock, UP, n));
        Streams.Sender serverOut = tracked(new Streams.Sender(buffer(), serverLock, DOWN, n));
        clientIn.start(c.client(), n);
        serverIn.start(c.server(), n);
        clientOut.start(c.client(), n);
        serverOut.start(c.server(), n);
        List<Streams.Side> sides = List.of(clientIn, serverIn, clientOut, serverOut);
        await("8 MiB each way through TLS", Duration.ofMinutes(3),
                () -> sides.stream().allMatch(Streams.Side::finished) || sides.stream().anyMatch(s -> s.failure() != null));
        for (Streams.Side s : sides) {
            assertNull(s.failure());
            assertEquals(0, s.count(EOS) + s.count(ERROR), () -> s + " saw EOS or ERROR");
        }
        assertEquals(n, serverIn.received());
        assertEquals(n, clientIn.received());
        assertEquals(1, clientOut.count(WRITE_COMPLETE));
        assertEquals(1, serverOut.count(WRITE_COMPLETE));
        assertTrue(serverIn.maxUnconsumed() <= 32 * KIB, "rule 3.5 holds for plaintext: " + serverIn.maxUnconsumed());
        assertTrue(clientIn.maxUnconsumed() <= 32 * KIB, "rule 3.5 holds for plaintext: " + clientIn.maxUnconsumed());
    }

    @Test
    void a_reader_that_does_not_consume_stalls_the_writer_with_bounded_buffering() throws Exception {
        Tls c = tlsConnect(tlsServer().build(), tlsClient().build(), "localhost");
        long total = 16 * MIB;
        Streams.Receiver stalled = tracked(new Streams.Receiver(buffer(), new ReentrantLock(), UP, false));
        Streams.Sender sender = tracked(new Streams.Sender(buffer(), UP, total));
        stalled.start(c.server(), total);
        sender.start(c.client(), total);
        await("the reader's buffer fills",
                () -> locked(stalled.continuation(), stalled.reader()::readAvail) >= 32 * KIB);
        long before;
        long after;
        do { // the writer stops once every buffer on the way is full
            before = sender.ndone();
            settle();
            after = sender.ndone();
        } while (after != before);
        assertTrue(after < 8 * MIB, "the writer is held: " + after + " of " + total + " bytes taken");
        assertEquals(32 * KIB, (long) locked(stalled.continuation(), stalled.reader()::readAvail),
                "a non-consuming reader gets exactly one block of plaintext (rule 3.5)");
        assertFalse(sender.completed());
        assertNull(stalled.failure());
        assertNull(sender.failure());
    }

    // -----------------------------------------------------------------------------------------------------------
    // The end of the stream

    @Test
    void shutdown_of_the_write_side_sends_close_notify_the_peer_reads_eos_and_can_still_answer() throws Exception {
        Tls c = tlsConnect(tlsServer().build(), tlsClient().build(), "localhost");
        int n = 100_000;
        Streams.Receiver atServer = tracked(new Streams.Receiver(buffer(), UP));
        atServer.start(c.server(), Long.MAX_VALUE);
        Sent sent = send(c.client(), UP, 0, n);
        await("the client's write completes", () -> sent.recorder().saw(WRITE_COMPLETE));
        c.client().shutdown(ShutdownHow.WRITE);
        await("EOS at the server", atServer::finished);
        assertEquals(1, atServer.count(EOS), "close_notify ends the stream with EOS, not ERROR");
        assertEquals(0, atServer.count(ERROR));
        assertEquals(n, atServer.received(), "every byte before close_notify");

        Reading atClient = postRead(c.client(), 1000);
        if (!serverEngine().name().equals("jdk")) {
            // The openssl engine answers close_notify with its own at once (docs/tls.md, Engines): no half-close.
            await("the server's close_notify ends the client's read", () -> atClient.recorder().saw(EOS));
            assertEquals(0, atClient.recorder().count(ERROR));
            return;
        }
        send(c.server(), DOWN, 0, 1000);
        await("TLS 1.3 half-close: the server still answers", () -> atClient.recorder().saw(READ_COMPLETE));
        assertEquals(1000, atClient.drain(DOWN, 0));
    }

    @Test
    void a_peer_that_ends_the_connection_without_close_notify_gives_error_not_eos() throws Exception {
        Tls c = tlsConnect(tlsServer().build(), tlsClient().build(), "localhost");
        Streams.Receiver atServer = tracked(new Streams.Receiver(buffer(), UP));
        atServer.start(c.server(), Long.MAX_VALUE);
        send(c.client(), UP, 0, 1000);
        await("the data arrives", () -> atServer.received() == 1000);
        // A peer that stops without close_notify: its TCP stream ends under TLS (a truncation attack looks so).
        c.client().inner().shutdown(ShutdownHow.WRITE);
        await("the server's read ends", atServer::finished);
        assertEquals(1, atServer.count(ERROR), "truncation is an ERROR");
        assertEquals(0, atServer.count(EOS), "never EOS without close_notify");
        assertTls(c.server().error(), "close_notify");
        assertEquals(1000, atServer.received());
    }

    // -----------------------------------------------------------------------------------------------------------
    // Failures name their reason

    @Test
    void a_server_certificate_from_an_unknown_ca_fails_both_sides_with_the_reason() throws Exception {
        TlsContext rogue = TlsContext.server().certificate(cert("rogue.pem"), cert("rogue.key"))
                .delegatedTaskExecutor(DIRECT).engine(serverEngine()).build();
        Tls c = tlsConnect(rogue, tlsClient().build(), "localhost");
        assertBothFail(c, "certification path", certificateRefusedAlert());
    }

    @Test
    void a_hostname_mismatch_fails_both_sides_with_the_reason() throws Exception {
        Tls c = tlsConnect(tlsServer().build(), tlsClient().build(), "wrong.test");
        assertBothFail(c, "wrong.test", certificateRefusedAlert());
    }

    @Test
    void a_missing_required_client_certificate_fails_with_the_reason() throws Exception {
        TlsContext needs = tlsServer().clientAuth(TlsContext.ClientAuth.NEED).trustPem(cert("ca.pem")).build();
        Tls c = tlsConnect(needs, tlsClient().build(), "localhost");
        Reading atServer = postRead(c.server(), 10);
        Reading atClient = postRead(c.client(), 10);
        await("both sides fail", () -> atServer.recorder().saw(ERROR) && atClient.recorder().saw(ERROR));
        assertTls(c.server().error(), "Empty client certificate chain", "PEER_DID_NOT_RETURN_A_CERTIFICATE");
        assertEquals(TlsVConn.EPROTO, c.client().error().errno(), c.client().error().toString());
        String clientReason = c.client().error().message().toLowerCase(Locale.ROOT);
        assertTrue(clientReason.contains("bad_certificate") || clientReason.contains("certificate_required"),
                clientReason);
    }

    @Test
    void a_required_client_certificate_is_verified_and_its_subject_reported() throws Exception {
        TlsContext needs = tlsServer().clientAuth(TlsContext.ClientAuth.NEED).trustPem(cert("ca.pem")).build();
        TlsContext withCert = tlsClient()
                .clientCertificate(TlsKeyMaterial.fromPem(cert("client.pem"), cert("client.key"))).build();
        Tls c = tlsConnect(needs, withCert, "localhost");
        awaitHandshake(c);
        assertTrue(c.server().sessionInfo().orElseThrow().peerSubject().contains("CN=vconn test client"));
    }

    // -----------------------------------------------------------------------------------------------------------
    // ALPN and SNI

    @Test
    void sni_picks_the_certificate_named_by_the_client_and_alpn_the_servers_preferred_offer() throws Exception {
        TlsContext server = tlsServer()
                .certificate(cert("other.pem"), cert("other-encrypted.key"), "test-secret".toCharArray())
                .alpn("h2", "http/1.1").build();

        Tls other = tlsConnect(server, tlsClient().alpn("http/1.1", "h2").build(), "other.test");
        awaitHandshake(other);
        assertEquals("other.test", other.server().sessionInfo().orElseThrow().serverName());
        assertTrue(other.client().sessionInfo().orElseThrow().peerSubject().contains("CN=other.test"));
        assertEquals("h2", other.client().sessionInfo().orElseThrow().applicationProtocol(),
                "the server's preference among the offers");

        Tls byDefault = tlsConnect(server, tlsClient().build(), "localhost");
        awaitHandshake(byDefault);
        assertTrue(byDefault.client().sessionInfo().orElseThrow().peerSubject().contains("CN=localhost"),
                "no certificate names localhost but the first, the default");
        assertEquals("http/1.1", byDefault.server().sessionInfo().orElseThrow().applicationProtocol());
    }

    @Test
    void no_common_alpn_protocol_fails_with_no_application_protocol() throws Exception {
        Tls c = tlsConnect(tlsServer().alpn("h2").build(), tlsClient().alpn("http/1.1").build(), "localhost");
        if (!serverEngine().name().equals("jdk")) {
            // BoringSSL's server goes on without ALPN instead (docs/tls.md, Engines): nothing is agreed.
            awaitHandshake(c);
            assertEquals("", c.server().sessionInfo().orElseThrow().applicationProtocol());
            assertEquals("", c.client().sessionInfo().orElseThrow().applicationProtocol());
            return;
        }
        Reading atClient = postRead(c.client(), 10);
        await("the client fails", () -> atClient.recorder().saw(ERROR));
        assertTls(c.client().error(), "no_application_protocol");
    }

    // -----------------------------------------------------------------------------------------------------------
    // Bad input and stalls on a TLS port

    @Test
    void a_plaintext_http_request_on_a_tls_port_gets_an_alert_or_a_close_never_a_hang() throws Exception {
        Recorder accepted = recorder();
        NetAcceptor.Listener listener = closeAfter(transport.netAcceptor().listen(harness.listenAddress(),
                accepted.continuation(), TlsOptions.server(tlsServer().build(), transport.blockPool())));
        VConn plain = plainConnect(listener);
        await("NET_ACCEPT", () -> accepted.saw(Event.NET_ACCEPT));
        VConn server = acceptedVConn(accepted);
        closeAfter(server::close);
        Reading atServer = postRead(server, Long.MAX_VALUE);
        Reading atClient = postRead(plain, Long.MAX_VALUE);
        IOBuffer out = buffer();
        IOBufferReader reader = out.allocReader();
        byte[] request = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        out.write(request);
        plain.write(recorder().continuation(), request.length, reader);
        await("the plaintext client's read ends", () -> atClient.recorder().saw(EOS) || atClient.recorder().saw(ERROR));
        await("the TLS side fails", () -> atServer.recorder().saw(ERROR));
        assertTls(server.error(), "plaintext connection?", "not an SSL/TLS record");
        long got = atClient.readAvail();
        if (got > 0) {
            byte first = locked(atClient.recorder().continuation(), () -> atClient.reader().byteAt(0));
            assertEquals(21, first, "what the client got is a TLS alert record");
        }
    }

    @Test
    void a_client_that_stalls_mid_handshake_is_closed_by_the_handshake_timeout() throws Exception {
        Duration timeout = Duration.ofSeconds(2);
        Recorder accepted = recorder();
        NetAcceptor.Listener listener = closeAfter(transport.netAcceptor().listen(harness.listenAddress(),
                accepted.continuation(), TlsOptions.server(tlsServer().handshakeTimeout(timeout).build(),
                        transport.blockPool())));
        long start = harness.nanoTime();
        VConn stalled = plainConnect(listener); // connects, never says hello
        await("NET_ACCEPT", () -> accepted.saw(Event.NET_ACCEPT));
        VConn server = acceptedVConn(accepted);
        closeAfter(server::close);
        Reading atServer = postRead(server, Long.MAX_VALUE);
        Reading atClient = postRead(stalled, Long.MAX_VALUE);
        await("the stalled client's connection ends", WAIT.plus(timeout),
                () -> atClient.recorder().saw(EOS) || atClient.recorder().saw(ERROR));
        long elapsed = harness.nanoTime() - start;
        assertTrue(elapsed >= timeout.toNanos(), "not before the timeout: " + Duration.ofNanos(elapsed));
        await("the TLS side fails", () -> atServer.recorder().saw(ERROR));
        assertEquals(Errno.ETIMEDOUT, server.error().errno(), server.error().toString());
        assertTrue(server.error().message().contains("handshake timeout"), server.error().message());
        if (harness.capabilities().contains(Capability.VIRTUAL_TIME)) {
            assertTrue(elapsed < timeout.plusSeconds(1).toNanos(), "at the timeout: " + Duration.ofNanos(elapsed));
        }
    }

    // -----------------------------------------------------------------------------------------------------------
    // Adopted sockets and the in-process pair

    @Test
    void tls_starts_on_adopted_sockets_as_server_and_as_client() throws Exception {
        TransportHarness.ChannelPair channels = harness.channelPair();
        VConn server = transport.socketAdopter().adopt(channels.local(),
                TlsOptions.server(tlsServer().build(), transport.blockPool()));
        VConn client = transport.socketAdopter().adopt(channels.peer(),
                TlsOptions.client(tlsClient().build(), transport.blockPool(), "localhost", 443));
        closeAfter(server::close);
        closeAfter(client::close);
        Tls c = new Tls((TlsVConn) client, (TlsVConn) server);
        awaitHandshake(c);
        exchange(c, 64 * 1024);
    }

    @Test
    void tls_runs_over_an_in_process_pair() throws Exception {
        Recorder sessions = recorder();
        VConn active = transport.httpConnector(sessions.continuation()).connect(HttpConnectOptions.builder()
                .clientAddress(new InetSocketAddress("10.9.8.7", 4321)).build());
        assertTrue(sessions.saw(Event.NET_ACCEPT), "the passive end is handed over synchronously");
        VConn passive = acceptedVConn(sessions);
        TlsVConn server = TlsOptions.server(tlsServer().build(), transport.blockPool()).wrap(passive);
        TlsVConn client = TlsOptions.client(tlsClient().build(), transport.blockPool(), "localhost", 443)
                .wrap(active);
        closeAfter(server::close);
        closeAfter(client::close);
        Tls c = new Tls(client, server);
        awaitHandshake(c);
        assertEquals("TLSv1.3", c.server().sessionInfo().orElseThrow().protocol());
        exchange(c, 256 * 1024);
    }

    @Test
    void tls_options_refuse_the_wrong_role() {
        TlsOptions server = TlsOptions.server(tlsServer().build(), transport.blockPool());
        TlsOptions client = TlsOptions.client(tlsClient().build(), transport.blockPool(), "localhost", 443);
        assertThrows(IllegalArgumentException.class, () -> transport.netAcceptor().listen(harness.listenAddress(),
                recorder().continuation(), client));
        assertThrows(IllegalArgumentException.class, () -> transport.netConnector().connect(recorder().continuation(),
                harness.listenAddress(), Duration.ofSeconds(1), server));
        assertThrows(NullPointerException.class, () -> TlsOptions.client(tlsClient().build(),
                transport.blockPool(), null, 443));
    }

    // -----------------------------------------------------------------------------------------------------------
    // Helpers

    /** Both ends of a TLS connection over the transport. */
    protected record Tls(TlsVConn client, TlsVConn server) {
    }

    /**
     * The engines of the TLS listener's side in this run: the JDK's unless a subclass runs the section with another
     * engine (docs/tls.md, Engines).
     */
    protected TlsEngineProvider serverEngine() {
        return TlsEngineProvider.jdk();
    }

    /** The engines of the connecting side in this run: the JDK's unless a subclass says otherwise. */
    protected TlsEngineProvider clientEngine() {
        return TlsEngineProvider.jdk();
    }

    /** {@link #serverContext()} with this run's server engines. */
    protected final TlsContext.ServerBuilder tlsServer() {
        return serverContext().engine(serverEngine());
    }

    /** {@link #clientContext()} with this run's client engines. */
    protected final TlsContext.ClientBuilder tlsClient() {
        return clientContext().engine(clientEngine());
    }

    /** A server context with the test certificate for {@code localhost}, delegated tasks on the loop. */
    protected static TlsContext.ServerBuilder serverContext() {
        return TlsContext.server().certificate(cert("server.pem"), cert("server.key")).delegatedTaskExecutor(DIRECT);
    }

    /** A client context trusting the test CA, delegated tasks on the loop. */
    protected static TlsContext.ClientBuilder clientContext() {
        return TlsContext.client().trustPem(cert("ca.pem")).delegatedTaskExecutor(DIRECT);
    }

    /** A test certificate or key file (test-only material, see the README beside them). */
    protected static Path cert(String name) {
        return CERTS.resolve(name);
    }

    /** A TLS listener and a TLS connect to it as {@code host}; both ends are closed after the test. */
    protected final Tls tlsConnect(TlsContext server, TlsContext client, String host) throws Exception {
        Recorder accepted = recorder();
        try (NetAcceptor.Listener listener = transport.netAcceptor().listen(harness.listenAddress(),
                accepted.continuation(), TlsOptions.server(server, transport.blockPool()))) {
            Recorder connected = recorder();
            transport.netConnector().connect(connected.continuation(), listener.localAddress(), WAIT,
                    TlsOptions.client(client, transport.blockPool(), host, 443));
            await("NET_CONNECT and NET_ACCEPT", () -> connected.count() > 0 && accepted.count() > 0);
            assertEquals(Event.NET_CONNECT, connected.events().get(0), () -> "connect failed: "
                    + connected.entries().get(0).data());
            TlsVConn c = assertInstanceOf(TlsVConn.class, connected.entries().get(0).data());
            TlsVConn s = assertInstanceOf(TlsVConn.class, acceptedVConn(accepted));
            closeAfter(c::close);
            closeAfter(s::close);
            return new Tls(c, s);
        }
    }

    private VConn plainConnect(NetAcceptor.Listener listener) {
        Recorder connected = recorder();
        transport.netConnector().connect(connected.continuation(), listener.localAddress());
        await("NET_CONNECT", () -> connected.count() > 0);
        assertEquals(Event.NET_CONNECT, connected.events().get(0));
        VConn plain = (VConn) connected.entries().get(0).data();
        closeAfter(plain::close);
        return plain;
    }

    private static VConn acceptedVConn(Recorder accepted) {
        return (VConn) accepted.entries().stream().filter(e -> e.event() == Event.NET_ACCEPT).findFirst()
                .orElseThrow().data();
    }

    private void awaitHandshake(Tls c) {
        await("the handshake on both sides", () -> (c.client().sessionInfo().isPresent()
                && c.server().sessionInfo().isPresent()) || c.client().error() != null || c.server().error() != null);
        assertNull(c.client().error());
        assertNull(c.server().error());
    }

    /** Sends {@code n} bytes each way and checks them. */
    private void exchange(Tls c, int n) {
        Streams.Receiver atServer = tracked(new Streams.Receiver(buffer(), UP));
        Streams.Receiver atClient = tracked(new Streams.Receiver(buffer(), DOWN));
        atServer.start(c.server(), n);
        atClient.start(c.client(), n);
        tracked(new Streams.Sender(buffer(), UP, n)).start(c.client(), n);
        tracked(new Streams.Sender(buffer(), DOWN, n)).start(c.server(), n);
        await(n + " bytes each way", () -> (atServer.finished() && atClient.finished()));
        assertNull(atServer.failure());
        assertNull(atClient.failure());
        assertEquals(n, atServer.received());
        assertEquals(n, atClient.received());
    }

    /**
     * The alert a client sends when its trust manager refuses the server's certificate: the JDK engine's
     * certificate_unknown; the openssl engine's internal_error, all BoringSSL makes of a refusal by a Java trust
     * manager (docs/tls.md, Engines).
     */
    private String certificateRefusedAlert() {
        return clientEngine().name().equals("jdk") ? "certificate_unknown" : "internal_error";
    }

    /** Reads on both sides; both end with ERROR EPROTO whose messages contain the reasons given. */
    private void assertBothFail(Tls c, String clientReason, String serverReason) {
        Reading atServer = postRead(c.server(), 10);
        Reading atClient = postRead(c.client(), 10);
        await("both sides fail", () -> atServer.recorder().saw(ERROR) && atClient.recorder().saw(ERROR));
        assertTls(c.client().error(), clientReason);
        assertTls(c.server().error(), serverReason);
        assertTrue(c.client().handshake().isCompletedExceptionally());
        assertTrue(c.server().sessionInfo().isEmpty());
    }

    /** An ERROR EPROTO from an SSLException whose message names one of the reasons (the engines word them apart). */
    private static void assertTls(VConnError error, String... reasons) {
        assertTrue(error != null, "no error");
        assertEquals(TlsVConn.EPROTO, error.errno(), error.toString());
        assertInstanceOf(SSLException.class, error.cause(), error.toString());
        // Alerts are named in lower case by the JDK engine, in upper case (SSLV3_ALERT_...) by the openssl one.
        String message = error.message().toLowerCase(Locale.ROOT);
        assertTrue(Arrays.stream(reasons).anyMatch(r -> message.contains(r.toLowerCase(Locale.ROOT))),
                () -> "expected one of the reasons " + Arrays.toString(reasons) + " in: " + error);
    }

    private static Path copyCertificates() {
        try {
            Path dir = Files.createTempDirectory("vconn-contract-tls");
            for (String name : List.of("ca.pem", "server.pem", "server.key", "other.pem", "other-encrypted.key",
                    "client.pem", "client.key", "rogue.pem", "rogue.key")) {
                try (InputStream in = TlsContract.class.getResourceAsStream("/tls/" + name)) {
                    if (in == null) {
                        throw new IllegalStateException("test resource tls/" + name + " missing from the contract kit");
                    }
                    Path file = dir.resolve(name);
                    Files.copy(in, file);
                    file.toFile().deleteOnExit();
                }
            }
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
