package dev.vconn.ports.contract;

import static dev.vconn.domain.Event.NET_CONNECT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.VConn;
import dev.vconn.domain.http.AccessLogRecord;
import dev.vconn.domain.http.HttpHookId;
import dev.vconn.domain.http.HttpHooks;
import dev.vconn.domain.http.HttpProxy;
import dev.vconn.domain.http.HttpProxyConfig;
import dev.vconn.domain.http.HttpTxn;
import dev.vconn.domain.http.OriginConnector;
import dev.vconn.domain.http.RemapRule;
import dev.vconn.domain.tls.TlsContext;
import dev.vconn.domain.tls.TlsKeyMaterial;
import dev.vconn.domain.tls.TlsSessionInfo;
import dev.vconn.domain.tls.TlsVConn;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.OriginConnectors;
import dev.vconn.ports.TlsOptions;
import dev.vconn.ports.contract.HttpKitServer.Reply;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The HTTP state machine over TLS (docs/tls.md, docs/http.md "HTTPS"): a TLS listener in front of the proxy, https
 * remap targets reached through {@link OriginConnectors#of(dev.vconn.ports.NetConnector, TlsContext,
 * dev.vconn.domain.buffer.BlockPool)}, the client's TLS facts in hooks, the access log and the proxy's counters,
 * and what an origin's bad certificate or a connector without TLS settings give.
 */
public abstract class HttpsProxyContract extends TransportContract {
    private final List<AccessLogRecord> log = new CopyOnWriteArrayList<>();

    @Test
    void a_tls_client_reaches_an_https_origin_and_its_tls_facts_reach_hooks_log_and_counters() throws Exception {
        HttpKitServer origin = server(req -> Reply.ok("hello " + req.head().target()));
        NetAcceptor.Listener originListener = listenTls(origin.acceptor(), TlsContract.serverContext().build());
        List<Optional<TlsSessionInfo>> seenByHook = new CopyOnWriteArrayList<>();
        Recorder hook = recorder().onEvent((event, data) -> {
            HttpTxn txn = (HttpTxn) data;
            seenByHook.add(txn.clientTls());
            txn.reenable();
        });
        HttpProxy proxy = proxy(OriginConnectors.of(transport.netConnector(), TlsContract.clientContext().build(),
                transport.blockPool()), "https://localhost:" + port(originListener) + "/v1/",
                HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, hook.continuation()).build());
        TlsContext proxyTls = TlsContract.serverContext().clientAuth(TlsContext.ClientAuth.WANT)
                .trustPem(TlsContract.cert("ca.pem")).build();
        NetAcceptor.Listener proxyListener = listenTls(proxy.sessionAcceptor(), proxyTls);

        TlsContext clientTls = TlsContract.clientContext()
                .clientCertificate(TlsKeyMaterial.fromPem(TlsContract.cert("client.pem"), TlsContract.cert("client.key")))
                .build();
        HttpKitClient c = tlsClient(proxyListener, clientTls, "example.test");
        for (int i = 0; i < 2; i++) {
            c.send("GET /item" + i + " HTTP/1.1\r\nHost: kit.test\r\n\r\n");
            int n = i + 1;
            await("response " + n, () -> c.finalResponses().size() >= n || c.failure() != null || c.eos());
            assertNull(c.failure());
            assertEquals(200, c.finalResponses().get(i).status(), () -> c.finalResponses().toString());
            assertEquals("hello /v1/item" + i, c.finalResponses().get(i).bodyText());
        }
        assertEquals(1, origin.accepted(), "one https origin connection, kept alive and reused");
        assertEquals("localhost:" + port(originListener), origin.requests().get(0).head().headers().get("Host"));

        TlsSessionInfo facts = seenByHook.get(0).orElseThrow(() -> new AssertionError("no TLS facts in the hook"));
        assertEquals("example.test", facts.serverName(), "the SNI name the client asked for");
        assertEquals("http/1.1", facts.applicationProtocol());
        assertTrue(facts.peerSubject().contains("CN=vconn test client"), facts.peerSubject());

        await("two transactions logged", () -> log.size() == 2);
        String line = log.get(0).toLogLine();
        assertTrue(line.contains(" tls=" + facts.protocol() + " cipher=" + facts.cipherSuite()), line);
        assertTrue(line.contains(" tls=TLSv1.3 "), line);
        // The origin side's TLS facts: the proxy's own handshake with the https origin, on both transactions (the
        // second reused the kept-alive origin connection).
        for (AccessLogRecord r : log) {
            TlsSessionInfo originTls = r.originTls();
            assertNotNull(originTls, () -> "no origin TLS facts in " + r);
            assertEquals("TLSv1.3", originTls.protocol());
            assertEquals("localhost", originTls.serverName(), "the SNI name the proxy sent to the origin");
            assertTrue(r.toLogLine().endsWith(" otls=TLSv1.3 ocipher=" + originTls.cipherSuite()), r.toLogLine());
        }
        Map<String, Long> tls = proxy.stats().tlsConnections();
        assertEquals(Map.of(facts.protocol() + " " + facts.cipherSuite(), 1L), tls);
    }

    @Test
    void an_https_origin_with_an_untrusted_certificate_gets_502_and_no_request() throws Exception {
        HttpKitServer origin = server(req -> Reply.ok("must not be reached"));
        TlsContext rogue = TlsContext.server().certificate(TlsContract.cert("rogue.pem"), TlsContract.cert("rogue.key"))
                .delegatedTaskExecutor(Runnable::run).build();
        NetAcceptor.Listener originListener = listenTls(origin.acceptor(), rogue);
        HttpProxy proxy = proxy(OriginConnectors.of(transport.netConnector(), TlsContract.clientContext().build(),
                transport.blockPool()), "https://localhost:" + port(originListener) + "/", HttpHooks.builder().build());
        NetAcceptor.Listener proxyListener = listenTls(proxy.sessionAcceptor(), TlsContract.serverContext().build());
        HttpKitClient c = tlsClient(proxyListener, TlsContract.clientContext().build(), "localhost");
        c.send("GET /secret HTTP/1.1\r\nHost: kit.test\r\n\r\n");
        await("a response", () -> c.finalResponses().size() >= 1 || c.failure() != null || c.eos());
        assertEquals(502, c.finalResponses().get(0).status(), () -> c.finalResponses().toString());
        assertTrue(origin.requests().isEmpty(), "nothing was sent to an origin that failed verification");
        await("the transaction logged", () -> log.size() == 1);
        assertNull(log.get(0).originTls(), "no origin TLS facts for a handshake that failed");
        assertFalse(log.get(0).toLogLine().contains("otls="), log.get(0).toLogLine());
    }

    @Test
    void a_connector_without_tls_settings_never_sends_an_https_request_in_clear_text() throws Exception {
        HttpKitServer origin = server(req -> Reply.ok("must not be reached"));
        NetAcceptor.Listener originListener = closeAfter(transport.netAcceptor().listen(harness.listenAddress(),
                origin.acceptor()));
        HttpProxy proxy = proxy(OriginConnectors.of(transport.netConnector()),
                "https://localhost:" + port(originListener) + "/", HttpHooks.builder().build());
        VConn active = transport.httpConnector(proxy.sessionAcceptor()).connect(
                dev.vconn.ports.HttpConnectOptions.builder().clientAddress(new InetSocketAddress("10.0.0.1", 1000))
                        .build());
        HttpKitClient c = client(active).reading();
        c.send("GET /secret HTTP/1.1\r\nHost: kit.test\r\n\r\n");
        await("a response", () -> c.finalResponses().size() >= 1 || c.failure() != null || c.eos());
        assertEquals(502, c.finalResponses().get(0).status(), () -> c.finalResponses().toString());
        settle();
        assertTrue(origin.requests().isEmpty(), "no request in clear text to an https origin");
        assertTrue(RemapRule.parse("http://kit.test/", "https://o.test/").originTls());
    }

    // -----------------------------------------------------------------------------------------------------------

    private HttpKitServer server(java.util.function.Function<HttpKitServer.Request, Reply> responder) {
        HttpKitServer s = new HttpKitServer(transport.blockPool(), responder);
        closeAfter(s::closeAll);
        checkAfter(s::failure);
        return s;
    }

    private HttpProxy proxy(OriginConnector connector, String target, HttpHooks hooks) {
        HttpProxyConfig.Builder b = HttpProxyConfig.builder(transport.blockPool()).originConnector(connector)
                .accessLog(log::add).hooks(hooks).remap(RemapRule.parse("http://kit.test/", target));
        HttpProxy proxy = new HttpProxy(b.build());
        closeAfter(() -> {
            proxy.close();
            await("every session of the proxy closed", () -> proxy.openSessions() == 0);
        });
        checkAfter(() -> proxy.stats().snapshot().internalErrors() == 0 ? null : "a session failed with an exception");
        return proxy;
    }

    private NetAcceptor.Listener listenTls(Continuation acceptor, TlsContext tls) throws IOException {
        return closeAfter(transport.netAcceptor().listen(harness.listenAddress(), acceptor,
                TlsOptions.server(tls, transport.blockPool())));
    }

    private HttpKitClient tlsClient(NetAcceptor.Listener listener, TlsContext tls, String host) {
        Recorder connecting = recorder();
        transport.netConnector().connect(connecting.continuation(), listener.localAddress(), WAIT,
                TlsOptions.client(tls, transport.blockPool(), host, port(listener)));
        await("NET_CONNECT", () -> connecting.count() > 0);
        assertEquals(NET_CONNECT, connecting.events().get(0), () -> "" + connecting.entries().get(0).data());
        return client(assertInstanceOf(TlsVConn.class, connecting.entries().get(0).data())).reading();
    }

    private HttpKitClient client(VConn vconn) {
        HttpKitClient c = new HttpKitClient(vconn, transport.blockPool());
        closeAfter(c);
        checkAfter(c::failure);
        return c;
    }

    private static int port(NetAcceptor.Listener listener) {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }
}
