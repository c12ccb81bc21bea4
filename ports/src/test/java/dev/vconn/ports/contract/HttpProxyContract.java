package dev.vconn.ports.contract;

import static dev.vconn.domain.Event.EOS;
import static dev.vconn.domain.Event.ERROR;
import static dev.vconn.domain.Event.HTTP_READ_REQUEST_HDR;
import static dev.vconn.domain.Event.NET_CONNECT;
import static dev.vconn.ports.contract.Streams.KIB;
import static dev.vconn.ports.contract.Streams.MIB;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vconn.domain.CloseState;
import dev.vconn.domain.Errno;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.http.AccessLogRecord;
import dev.vconn.domain.http.HttpHookId;
import dev.vconn.domain.http.HttpHooks;
import dev.vconn.domain.http.HttpProxy;
import dev.vconn.domain.http.HttpProxyConfig;
import dev.vconn.domain.http.HttpStats;
import dev.vconn.domain.http.HttpTimeouts;
import dev.vconn.domain.http.HttpTxn;
import dev.vconn.domain.http.NullTransform;
import dev.vconn.domain.http.RemapRule;
import dev.vconn.ports.HttpConnectOptions;
import dev.vconn.ports.IpAllowList;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.OriginConnectors;
import dev.vconn.ports.contract.HttpKitServer.Reply;
import dev.vconn.ports.contract.HttpKitServer.Request;
import dev.vconn.ports.contract.HttpWire.Response;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * The HTTP proxy state machine ({@link HttpProxy}, docs/http.md) behind the transport's own ports, end to end: after
 * Traffic Server's {@code TSHttpConnect} API tests (InkAPITest {@code SDK_API_TSHttpConnectIntercept}
 * and {@code SDK_API_TSHttpConnectServerIntercept}) over the transport's {@code HttpConnector}, and the same kind of
 * transactions over its {@code NetAcceptor}, with origins reached through its {@code NetConnector}.
 *
 * <ul>
 *   <li>rules 6.x: connect with tag and id, an HTTP/1.0 request answered by a server intercept and read until EOS;
 *       keep-alive with Content-Length framing done by the client; a write shutdown after the request; access
 *       control denial (EOS to the reader, ERROR to the writer, the reason readable from the VConn); the access log
 *       line carries {@code pitag}, {@code piid} and {@code cqint=1} in-process, {@code cqint=0} over the
 *       network.</li>
 *   <li>docs/http.md: a remapped origin on a second listener of the same transport, its keep-alive connection reused,
 *       chunked bodies both ways; 502 when the origin refuses, 504 when it does not answer in time (virtual time on
 *       {@link Capability#VIRTUAL_TIME} transports); a 16 MiB response to a client that reads in steps, with the
 *       block pool bounded while it pauses; a client that resets mid-response leaves the others untouched.</li>
 *   <li>{@link Capability#KERNEL_SOCKETS}: the JDK's {@link HttpClient} (HTTP/1.1) and a plain {@link Socket} as
 *       real clients: GET, POST echo, keep-alive, a chunked response, and a malformed request that gets 400 and a
 *       closed connection while the proxy goes on serving.</li>
 * </ul>
 * The kit's hygiene check runs after each case: every session closed, the block pool at zero, no VConn, pair or
 * socket left open.
 */
public abstract class HttpProxyContract extends TransportContract {
    private static final InetSocketAddress CLIENT = new InetSocketAddress("10.1.2.3", 4567);
    private static final BytePattern UP = new BytePattern(91);
    private static final BytePattern DOWN = new BytePattern(92);
    /**
     * Blocks (of 32 KiB and smaller) a 16 MiB transfer may hold while its client pauses: the client's read buffer,
     * the session's response and request buffers, the origin connection's read buffer, the origin's write buffer,
     * and what the socket VConns have read ahead (16 or 17 measured on every transport). A proxy that buffered the
     * body would need 512.
     */
    private static final long PAUSED_BLOCK_BOUND = 32;

    private final List<AccessLogRecord> log = new CopyOnWriteArrayList<>();

    // ------------------------------------------------------------------------------------------------ helpers

    /** The kit's HTTP server, as an origin or an intercept; its connections are closed after the test. */
    private HttpKitServer server(Function<Request, Reply> responder) {
        HttpKitServer s = new HttpKitServer(transport.blockPool(), responder);
        closeAfter(s::closeAll);
        checkAfter(s::failure);
        return s;
    }

    /** A proxy on the transport's pool and connector, logging into {@link #log}; closed (all sessions) after. */
    private HttpProxy proxy(Consumer<HttpProxyConfig.Builder> customize) {
        HttpProxyConfig.Builder b = HttpProxyConfig.builder(transport.blockPool())
                .originConnector(OriginConnectors.of(transport.netConnector()))
                .accessLog(log::add);
        customize.accept(b);
        HttpProxy proxy = new HttpProxy(b.build());
        closeAfter(() -> {
            proxy.close();
            await("every session of the proxy closed", () -> proxy.openSessions() == 0);
        });
        // An exception inside a session is caught, logged and counted; for the kit it is a failure.
        checkAfter(() -> stats(proxy).internalErrors() == 0 ? null
                : stats(proxy).internalErrors() + " session(s) failed with an exception (see the log)");
        return proxy;
    }

    /** READ_REQUEST_HDR hands the transactions that match to {@code server} ({@code TSHttpTxnServerIntercept}). */
    private HttpHooks intercept(HttpKitServer server, Predicate<HttpTxn> which) {
        Recorder hook = recorder().onEvent((event, data) -> {
            HttpTxn txn = (HttpTxn) data;
            try {
                assertEquals(HTTP_READ_REQUEST_HDR, event);
                if (which.test(txn)) {
                    txn.intercept(server.acceptor());
                }
            } finally {
                txn.reenable();
            }
        });
        return HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, hook.continuation()).build();
    }

    private HttpHooks interceptAll(HttpKitServer server) {
        return intercept(server, txn -> true);
    }

    private HttpKitClient client(VConn vconn, BytePattern bodies) {
        HttpKitClient c = new HttpKitClient(vconn, transport.blockPool(), bodies);
        closeAfter(c);
        checkAfter(c::failure);
        return c;
    }

    /** {@code HttpConnector.connect} with tag and id from {@link #CLIENT}. */
    private HttpKitClient connectInProcess(HttpProxy proxy, String tag, long id, BytePattern bodies) {
        VConn vc = transport.httpConnector(proxy.sessionAcceptor()).connect(HttpConnectOptions.builder()
                .clientAddress(CLIENT).tag(tag).id(id).build());
        return client(vc, bodies);
    }

    /** A connection to {@code address} made by the transport's {@code NetConnector}. */
    private HttpKitClient connectOverNetwork(SocketAddress address, BytePattern bodies) {
        Recorder connecting = recorder();
        transport.netConnector().connect(connecting.continuation(), address);
        await("NET_CONNECT to " + address, () -> connecting.count() > 0);
        assertEquals(NET_CONNECT, connecting.events().get(0),
                () -> "connect failed: " + connecting.entries().get(0).data());
        return client((VConn) connecting.entries().get(0).data(), bodies);
    }

    private NetAcceptor.Listener listen(dev.vconn.domain.Continuation acceptor) throws IOException {
        return closeAfter(transport.netAcceptor().listen(harness.listenAddress(), acceptor));
    }

    /** {@code http://host:port/} of a listener, for remap targets and URIs. */
    private static String url(NetAcceptor.Listener listener) {
        InetSocketAddress a = (InetSocketAddress) listener.localAddress();
        String host = a.getAddress().getHostAddress();
        return "http://" + (a.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + a.getPort()
                + "/";
    }

    private static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: kit.test\r\n\r\n";
    }

    private void awaitResponses(HttpKitClient c, int n) {
        await(n + " response(s)", () -> c.finalResponses().size() >= n || c.failure() != null
                || c.eos() && c.finalResponses().size() < n);
        assertNull(c.failure());
        assertEquals(n, c.finalResponses().size(), () -> "responses: " + c.responses() + ", eos=" + c.eos());
    }

    private void awaitEos(HttpKitClient c) {
        await("EOS at the client", () -> c.eos() || c.failure() != null);
        assertNull(c.failure());
        assertFalse(c.truncated(), "the connection ended in the middle of a response");
    }

    private HttpStats.Snapshot stats(HttpProxy proxy) {
        return proxy.stats().snapshot();
    }

    /** Lets the transport run until {@code progress} stops moving over one quiet period. */
    private void awaitStall(String what, LongSupplier... progress) {
        long[] last = new long[progress.length];
        for (int round = 0; round < 100; round++) {
            boolean moved = false;
            for (int i = 0; i < progress.length; i++) {
                long now = progress[i].getAsLong();
                moved |= now != last[i];
                last[i] = now;
            }
            if (!moved && round > 0) {
                return;
            }
            settle();
        }
        fail(what + " never stalled");
    }

    // ------------------------------------------------------------------------------ TSHttpConnect (rules 6.x)

    @Test
    void connect_with_tag_and_id_an_http_1_0_request_is_answered_by_an_intercept_and_read_until_eos() {
        HttpKitServer intercept = server(req -> Reply.ok("intercepted " + req.head().target()));
        HttpProxy proxy = proxy(b -> b.hooks(interceptAll(intercept)));
        HttpKitClient c = connectInProcess(proxy, "kit-intercept", 1, null);
        assertEquals(CloseState.OPEN, c.vconn().closeState(), "TSVConnClosedGet is 0 at once");
        assertEquals(0, c.vconn().closeState().code());

        // As InkAPITest's client: one write of exactly the request, the read posted on WRITE_COMPLETE, read to EOS.
        c.sendThenRead("GET http://kit.test/ink HTTP/1.0\r\nX-Request-Id: 1\r\n\r\n");
        awaitEos(c);
        assertTrue(c.writeComplete());
        List<Response> responses = c.finalResponses();
        assertEquals(1, responses.size(), () -> "responses: " + responses);
        Response r = responses.get(0);
        assertEquals(200, r.status());
        assertEquals("intercepted http://kit.test/ink", r.bodyText());
        assertTrue(r.closes(), "an HTTP/1.0 client without keep-alive gets Connection: close: " + r.headers());
        assertEquals(1, intercept.accepted(), "the synthetic server got NET_ACCEPT once");
        Request seen = intercept.requests().get(0);
        assertEquals("GET", seen.head().method());
        assertEquals("1", seen.head().headers().get("X-Request-Id"), "end-to-end fields reach the intercept");
        await("the transaction logged", () -> log.size() == 1);
        assertEquals("intercept", log.get(0).origin());
        String line = log.get(0).toLogLine();
        assertTrue(line.contains("pitag=kit-intercept piid=1 cqint=1"), line);
    }

    @Test
    void keep_alive_two_requests_on_one_connection_framed_by_content_length() {
        HttpKitServer intercept = server(req -> Reply.ok("body of " + req.head().target()));
        HttpProxy proxy = proxy(b -> b.hooks(interceptAll(intercept)));
        HttpKitClient c = connectInProcess(proxy, "kit-keepalive", 2, null).reading();

        c.send(get("/one"));
        awaitResponses(c, 1);
        c.send(get("/two"));
        awaitResponses(c, 2);
        settle();
        assertFalse(c.eos(), "keep-alive: the session keeps the connection open");
        List<Response> rs = c.finalResponses();
        for (int i = 0; i < 2; i++) {
            Response r = rs.get(i);
            assertEquals(200, r.status());
            assertEquals("length", r.framing(), "the client frames it by Content-Length");
            assertFalse(r.closes());
            assertEquals("body of /" + (i == 0 ? "one" : "two"), r.bodyText());
        }
        await("both transactions ended", () -> stats(proxy).transactions() == 2);
        HttpStats.Snapshot s = stats(proxy);
        assertEquals(1, s.connections(), "one connection");
        assertEquals(1, s.inProcessConnections());
        assertEquals(2, s.inProcessTransactions());
        assertEquals(2, intercept.accepted(), "one intercept per transaction");
    }

    @Test
    void a_write_shutdown_after_the_request_still_gets_the_response_then_eos() {
        HttpKitServer intercept = server(req -> Reply.ok("after half-close"));
        HttpProxy proxy = proxy(b -> b.hooks(interceptAll(intercept)));
        HttpKitClient c = connectInProcess(proxy, "kit-fetcher", 3, null);
        c.sendThenRead(get("/half"), true);
        awaitEos(c);
        assertTrue(c.vconn().isWriteShutdown());
        assertEquals(1, c.finalResponses().size(), () -> "responses: " + c.responses());
        assertEquals(200, c.finalResponses().get(0).status());
        assertEquals("after half-close", c.finalResponses().get(0).bodyText());
        await("the session closed", () -> proxy.openSessions() == 0);
        assertEquals(1, stats(proxy).transactions());
    }

    @Test
    void access_control_denial_still_returns_a_vconn_whose_reader_gets_eos_and_writer_error_with_the_reason() {
        HttpKitServer intercept = server(req -> Reply.ok("allowed"));
        HttpProxy proxy = proxy(b -> b.hooks(interceptAll(intercept))
                .accessControl(IpAllowList.parse("deny 10.1.0.0/16, allow 0.0.0.0/0")));
        VConn denied = transport.httpConnector(proxy.sessionAcceptor()).connect(HttpConnectOptions.builder()
                .clientAddress(CLIENT).tag("kit-denied").id(4).build());
        closeAfter(denied::close);
        assertNotNull(denied, "connect returns a VConn even when access control denies the client");
        Reading in = postRead(denied, Long.MAX_VALUE);
        Sent out = send(denied, UP, 0, 100);
        await("EOS at the reader and ERROR at the writer", () -> in.recorder().saw(EOS) && out.recorder().saw(ERROR));
        settle();
        assertEquals(List.of(EOS), in.recorder().events());
        assertEquals(List.of(ERROR), out.recorder().events());
        VConnError error = denied.error();
        assertNotNull(error, "the reason is readable from the VConn");
        assertEquals(Errno.EACCES, error.errno(), () -> "error: " + error);
        assertNotNull(error.cause(), () -> "the reason travels as the cause: " + error);
        assertTrue(error.cause().getMessage().contains("denied by rule 'deny 10.1.0.0/16'"),
                () -> "the cause names the rule: " + error.cause().getMessage());
        assertTrue(error.cause().getMessage().contains("10.1.2.3"), () -> error.cause().getMessage());

        // The rule is not a blanket denial: a client from elsewhere is served.
        VConn allowedVc = transport.httpConnector(proxy.sessionAcceptor()).connect(HttpConnectOptions.builder()
                .clientAddress(new InetSocketAddress("192.168.7.8", 5000)).build());
        HttpKitClient allowed = client(allowedVc, null).reading();
        allowed.send(get("/ok"));
        awaitResponses(allowed, 1);
        assertEquals("allowed", allowed.finalResponses().get(0).bodyText());
        HttpStats.Snapshot s = stats(proxy);
        assertEquals(1, s.deniedConnections());
        assertEquals(1, s.connections(), "a denied connection is no session");
        await("the allowed transaction logged", () -> log.size() == 1);
        assertTrue(log.stream().noneMatch(r -> CLIENT.equals(r.client())), "nothing logged for the denied client");
    }

    @Test
    void the_access_log_carries_tag_id_and_cqint_1_in_process_and_cqint_0_over_the_network() throws Exception {
        HttpKitServer intercept = server(req -> Reply.ok("logged"));
        HttpProxy proxy = proxy(b -> b.hooks(interceptAll(intercept)));
        NetAcceptor.Listener listener = listen(proxy.sessionAcceptor());

        HttpKitClient inProcess = connectInProcess(proxy, "kit-log", 4711, null).reading();
        inProcess.send(get("/in-process"));
        awaitResponses(inProcess, 1);
        await("the in-process transaction logged", () -> log.size() == 1);
        AccessLogRecord first = log.get(0);
        String line = first.toLogLine();
        assertTrue(line.contains("pitag=kit-log piid=4711 cqint=1"), line);
        assertTrue(line.contains("client=10.1.2.3:4567"), line);
        assertTrue(line.contains("method=GET url=/in-process status=200"), line);
        assertTrue(line.contains("origin=intercept"), line);
        assertTrue(first.internal());

        HttpKitClient network = connectOverNetwork(listener.localAddress(), null).reading();
        network.send(get("/network"));
        awaitResponses(network, 1);
        await("the network transaction logged", () -> log.size() == 2);
        AccessLogRecord second = log.get(1);
        String line2 = second.toLogLine();
        assertTrue(line2.contains("pitag=- piid=0 cqint=0"), line2);
        assertTrue(line2.contains("url=/network status=200"), line2);
        assertFalse(second.internal());
        assertEquals(network.vconn().localAddress(), second.client(), "the network client's own address");
        HttpStats.Snapshot s = stats(proxy);
        assertEquals(1, s.inProcessTransactions());
        assertEquals(1, s.networkTransactions());
        assertEquals(1, s.networkConnections());
    }

    // ---------------------------------------------------------------------------- origins (docs/http.md)

    @Test
    void remapped_requests_reach_an_origin_through_the_net_connector_and_reuse_its_keep_alive_connection()
            throws Exception {
        HttpKitServer origin = server(req -> Reply.ok("origin says " + req.head().target()));
        NetAcceptor.Listener originListener = listen(origin.acceptor());
        HttpProxy proxy = proxy(b -> b.remap(RemapRule.parse("http://kit.test/app/", url(originListener) + "v1/")));

        HttpKitClient c = connectInProcess(proxy, "kit-remap", 6, null).reading();
        for (int i = 0; i < 3; i++) {
            c.send(get("/app/item" + i));
            awaitResponses(c, i + 1);
            assertEquals("origin says /v1/item" + i, c.finalResponses().get(i).bodyText());
        }
        assertEquals(1, origin.accepted(), "one origin connection for three requests");
        List<Request> seen = origin.requests();
        for (int i = 0; i < 3; i++) {
            Request r = seen.get(i);
            assertEquals("/v1/item" + i, r.head().target(), "the prefix is remapped");
            assertEquals(0, r.connection());
            assertEquals(i, r.index(), "each request follows the previous one on the same connection");
            String authority = url(originListener).substring("http://".length()).replace("/", "");
            assertEquals(authority, r.head().headers().get("Host"), "Host names the origin");
            assertTrue(r.head().headers().get("Via").contains("vconn"), "Via names the proxy");
        }
        await("the origin connection idle in the pool", () -> proxy.idleOriginConnections() == 1);

        // Another client connection on the same loop is served from the same pooled origin connection (the pool hands
        // a session only connections of its own loop: docs/http.md, Origins). Connected from that loop, the in-process
        // client lands on it.
        EventLoop loop = c.vconn().eventLoop();
        CompletableFuture<VConn> connected = new CompletableFuture<>();
        loop.execute(() -> connected.complete(transport.httpConnector(proxy.sessionAcceptor())
                .connect(HttpConnectOptions.builder().clientAddress(CLIENT).tag("kit-remap").id(7).build())));
        await("the connect on the first client's loop", connected::isDone);
        HttpKitClient other = client(connected.join(), null).reading();
        assertSame(loop, other.vconn().eventLoop(), "an in-process connect made on a loop stays on it");
        other.send(get("/app/again"));
        awaitResponses(other, 1);
        assertEquals("origin says /v1/again", other.finalResponses().get(0).bodyText());
        assertEquals(1, origin.accepted(), "the pooled connection was reused by another session");
        await("four transactions logged", () -> log.size() == 4);
        assertTrue(log.stream().allMatch(r -> r.origin().equals(authorityOf(originListener))), () -> "" + log);
    }

    private static String authorityOf(NetAcceptor.Listener l) {
        return url(l).substring("http://".length()).replace("/", "");
    }

    @Test
    void chunked_bodies_flow_both_ways_between_client_and_origin() throws Exception {
        HttpKitServer origin = server(req -> Reply.ok(req.body()).chunked(3000)
                .header("X-Request-Framing", req.head().headers().isChunked() ? "chunked" : "length"));
        NetAcceptor.Listener originListener = listen(origin.acceptor());
        HttpProxy proxy = proxy(b -> b.remap(RemapRule.parse("http://kit.test/", url(originListener))));
        HttpKitClient c = connectInProcess(proxy, "kit-chunked", 8, null).reading();

        byte[] body = UP.bytes(0, 200 * (int) KIB + 17);
        byte[] encoded = HttpWire.chunked(body, 4093);
        c.send("POST /upload HTTP/1.1\r\nHost: kit.test\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int at = 0; at < encoded.length; at += 50_000) {
            c.send(java.util.Arrays.copyOfRange(encoded, at, Math.min(encoded.length, at + 50_000)));
        }
        awaitResponses(c, 1);
        Response r = c.finalResponses().get(0);
        assertEquals(200, r.status());
        assertEquals("chunked", r.framing(), "the chunked response reaches an HTTP/1.1 client chunked");
        assertEquals("chunked", r.header("X-Request-Framing"), "the request body reached the origin chunked");
        assertArrayEquals(body, r.body(), "the body went both ways intact");
        assertArrayEquals(body, origin.requests().get(0).body());

        // And a Content-Length upload, answered chunked, on the same connection.
        byte[] small = DOWN.bytes(0, 10_000);
        c.send(HttpWire.concat(HttpWire.bytes("PUT /put HTTP/1.1\r\nHost: kit.test\r\nContent-Length: "
                + small.length + "\r\n\r\n"), small));
        awaitResponses(c, 2);
        Response r2 = c.finalResponses().get(1);
        assertEquals("length", r2.header("X-Request-Framing"));
        assertArrayEquals(small, r2.body());
        assertEquals(1, origin.accepted());
    }

    @Test
    void an_origin_that_refuses_the_connection_gives_502_and_keeps_the_connection() throws Exception {
        InetSocketAddress refused = (InetSocketAddress) harness.refusedAddress();
        String target = "http://" + refused.getAddress().getHostAddress() + ":" + refused.getPort() + "/";
        HttpProxy proxy = proxy(b -> b.remap(RemapRule.parse("http://kit.test/", target)));
        HttpKitClient c = connectInProcess(proxy, "kit-502", 9, null).reading();
        c.send(get("/refused"));
        awaitResponses(c, 1);
        Response r = c.finalResponses().get(0);
        assertEquals(502, r.status());
        // The GET was fully read: the connection stays for the next request (docs/http.md, Bad input).
        assertFalse(r.closes(), "a 502 to a fully read request keeps the connection");
        assertTrue(r.header("Date") != null, "the proxy's own response carries Date");
        c.send(get("/refused-again"));
        awaitResponses(c, 2);
        assertEquals(502, c.finalResponses().get(1).status());
        assertFalse(c.eos());
        await("logged", () -> log.size() == 2);
        assertEquals(502, log.get(0).status());
        assertEquals(2, stats(proxy).errorResponses());
    }

    @Test
    void an_origin_that_does_not_answer_in_time_gives_504() throws Exception {
        // Virtual time runs a realistic timeout in microseconds; real time gets a short one.
        boolean virtual = harness.capabilities().contains(Capability.VIRTUAL_TIME);
        Duration responseTimeout = virtual ? Duration.ofSeconds(10) : Duration.ofMillis(300);
        HttpKitServer origin = server(req -> req.head().target().startsWith("/slow") ? null : Reply.ok("fast"));
        NetAcceptor.Listener originListener = listen(origin.acceptor());
        HttpProxy proxy = proxy(b -> b.remap(RemapRule.parse("http://kit.test/", url(originListener)))
                .timeouts(HttpTimeouts.defaults().withResponse(responseTimeout)));
        HttpKitClient c = connectInProcess(proxy, "kit-504", 10, null).reading();

        c.send(get("/fast"));
        awaitResponses(c, 1);
        long t0 = harness.nanoTime();
        c.send(get("/slow"));
        await("504", WAIT.plus(responseTimeout), () -> c.finalResponses().size() >= 2 || c.eos()
                || c.failure() != null);
        long elapsed = harness.nanoTime() - t0;
        assertNull(c.failure());
        assertEquals(2, c.finalResponses().size(), () -> "responses: " + c.responses());
        assertEquals(504, c.finalResponses().get(1).status());
        assertTrue(elapsed >= responseTimeout.toNanos(), "504 came after " + elapsed + " ns, before the timeout");
        if (virtual) {
            assertTrue(elapsed < responseTimeout.plus(QUIET).toNanos(), "504 came late: " + elapsed + " ns");
        }
        assertEquals(2, origin.requests().size(), "the request reached the origin: a response timeout");
        await("the proxy closed the silent origin connection", () -> origin.open() == 0);
    }

    @Test
    void a_hook_may_resume_the_transaction_later_from_another_thread() {
        HttpKitServer intercept = server(req -> Reply.ok("resumed elsewhere"));
        java.util.concurrent.BlockingQueue<HttpTxn> held = new java.util.concurrent.LinkedBlockingQueue<>();
        Recorder hook = recorder().onEvent((event, data) -> held.add((HttpTxn) data)); // holds it: no reenable here
        HttpProxy proxy = proxy(b -> b.hooks(HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR,
                hook.continuation()).build()));
        HttpKitClient c = connectInProcess(proxy, "kit-held", 13, null).reading();
        c.send(get("/held"));
        await("the hook got the transaction", () -> !held.isEmpty());
        settle();
        assertEquals(List.of(), c.responses(), "nothing happens while the hook holds the transaction");
        HttpTxn txn = held.poll();
        assertEquals("/held", txn.clientRequest().target());
        assertEquals("kit-held", txn.pluginTag());
        assertEquals(13, txn.pluginId());
        assertTrue(txn.isInternal());
        // TSHttpTxnReenable from a thread that is none of the transport's loops: the test's own.
        txn.intercept(intercept.acceptor());
        txn.reenable();
        awaitResponses(c, 1);
        assertEquals("resumed elsewhere", c.finalResponses().get(0).bodyText());
    }

    @Test
    void the_null_transform_passes_an_origin_body_through_unchanged() throws Exception {
        long size = MIB + 4321;
        HttpKitServer origin = server(req -> Reply.stream(DOWN, size));
        NetAcceptor.Listener originListener = listen(origin.acceptor());
        Recorder hook = recorder().onEvent((event, data) -> {
            HttpTxn txn = (HttpTxn) data;
            txn.addResponseTransform(new NullTransform());
            txn.reenable();
        });
        HttpProxy proxy = proxy(b -> b.remap(RemapRule.parse("http://kit.test/", url(originListener)))
                .hooks(HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR, hook.continuation()).build()));
        HttpKitClient c = connectInProcess(proxy, "kit-transform", 14, DOWN).reading();
        c.send(get("/transformed"));
        awaitResponses(c, 1);
        Response r = c.finalResponses().get(0);
        assertEquals(200, r.status());
        assertEquals("chunked", r.framing(), "a transformed body loses its length and goes out chunked");
        assertEquals(size, r.bodyLength(), "every byte, checked against the pattern as it arrived");
        c.send(get("/again"));
        awaitResponses(c, 2);
        assertEquals(size, c.finalResponses().get(1).bodyLength(), "keep-alive after a transformed response");
    }

    @Test
    void forty_clients_at_once_pipelining_through_one_origin_pool_each_get_their_own_answers_in_order()
            throws Exception {
        HttpKitServer origin = server(req -> Reply.ok("answer to " + req.head().target())
                .chunked(req.head().target().hashCode() % 2 == 0 ? 7 : 0));
        NetAcceptor.Listener originListener = listen(origin.acceptor());
        HttpProxy proxy = proxy(b -> b.remap(RemapRule.parse("http://kit.test/", url(originListener)))
                .maxIdlePerOrigin(8));
        NetAcceptor.Listener proxyListener = listen(proxy.sessionAcceptor());
        int clients = 40;
        int each = 5;
        List<HttpKitClient> all = new java.util.ArrayList<>();
        for (int i = 0; i < clients; i++) {
            HttpKitClient c = i % 2 == 0 ? connectInProcess(proxy, "kit-many", 100 + i, null)
                    : connectOverNetwork(proxyListener.localAddress(), null);
            StringBuilder pipelined = new StringBuilder();
            for (int k = 0; k < each; k++) {
                pipelined.append(get("/c" + i + "/r" + k));
            }
            c.reading().send(pipelined.toString());
            all.add(c);
        }
        for (int i = 0; i < clients; i++) {
            HttpKitClient c = all.get(i);
            awaitResponses(c, each);
            for (int k = 0; k < each; k++) {
                assertEquals("answer to /c" + i + "/r" + k, c.finalResponses().get(k).bodyText(),
                        "client " + i + " got its own answers, in order");
            }
        }
        await("every transaction logged", () -> log.size() == clients * each);
        assertEquals(clients * each, origin.requests().size());
        assertTrue(origin.accepted() < clients * each, () -> "origin connections were reused: " + origin.accepted());
    }

    // ---------------------------------------------------------------------------- tunnel and faults

    @Test
    void sixteen_mib_to_a_client_reading_in_steps_arrive_intact_with_the_pool_bounded_while_it_pauses()
            throws Exception {
        long size = 16 * MIB;
        long step = 2 * MIB;
        HttpKitServer origin = server(req -> Reply.stream(DOWN, size));
        NetAcceptor.Listener originListener = listen(origin.acceptor());
        HttpProxy proxy = proxy(b -> b.remap(RemapRule.parse("http://kit.test/", url(originListener))));
        HttpKitClient c = connectInProcess(proxy, "kit-big", 11, DOWN).reading();
        c.pauseAt(step);
        c.send(get("/sixteen"));

        long maxPaused = 0;
        for (long mark = step; mark < size; mark += step) {
            long target = mark;
            await("the client to read " + target + " bytes", () -> c.consumed() >= target || c.failure() != null);
            assertNull(c.failure());
            awaitStall("the paused transfer", c::readDone, transport.blockPool()::outstanding);
            long outstanding = transport.blockPool().outstanding();
            maxPaused = Math.max(maxPaused, outstanding);
            assertTrue(outstanding <= PAUSED_BLOCK_BOUND, "while the client pauses at " + target + " the pool holds "
                    + outstanding + " blocks: " + transport.blockPool());
            assertTrue(c.readDone() - c.consumed() <= 32 * KIB,
                    () -> "the pair moved more than its 32 KiB bound ahead: " + (c.readDone() - c.consumed()));
            c.resumeUntil(target + step);
        }
        c.resume();
        await("all of it", WAIT.multipliedBy(2), () -> c.finalResponses().size() == 1 || c.failure() != null);
        assertNull(c.failure(), "every body byte is the pattern's");
        Response r = c.finalResponses().get(0);
        assertEquals(200, r.status());
        assertEquals(size, r.bodyLength());
        assertTrue(maxPaused > 0);
        await("logged", () -> log.size() == 1);
        assertTrue(log.get(0).bytesOut() > size, () -> "bytes out: " + log.get(0));
    }

    @Test
    void a_client_that_resets_mid_response_leaves_a_concurrent_transaction_untouched() throws Exception {
        long size = 4 * MIB;
        // The resetting client asks for far more than kernel socket buffers hold, so its reset comes mid-response
        // on real sockets too (loopback buffers can absorb a few MiB while it pauses).
        long huge = 1L << 30;
        HttpKitServer origin = server(req -> Reply.stream(DOWN, req.head().target().equals("/huge") ? huge : size));
        NetAcceptor.Listener originListener = listen(origin.acceptor());
        HttpProxy proxy = proxy(b -> b.remap(RemapRule.parse("http://kit.test/", url(originListener))));
        NetAcceptor.Listener proxyListener = listen(proxy.sessionAcceptor());

        HttpKitClient resetting = connectOverNetwork(proxyListener.localAddress(), DOWN).reading();
        HttpKitClient bystander = connectOverNetwork(proxyListener.localAddress(), DOWN).reading();
        HttpKitClient inProcess = connectInProcess(proxy, "kit-bystander", 12, DOWN).reading();
        resetting.pauseAt(256 * KIB);
        bystander.pauseAt(512 * KIB);
        inProcess.pauseAt(512 * KIB);
        resetting.send(get("/huge"));
        bystander.send(get("/big"));
        inProcess.send(get("/big"));
        await("all three mid-response", () -> resetting.consumed() >= 256 * KIB && bystander.consumed() >= 512 * KIB
                && inProcess.consumed() >= 512 * KIB);
        resetting.abort();
        await("the reset client's session closed", () -> proxy.openSessions() == 2);
        bystander.resume();
        inProcess.resume();
        for (HttpKitClient c : List.of(bystander, inProcess)) {
            await("the bystander's whole response", WAIT.multipliedBy(2),
                    () -> c.finalResponses().size() == 1 || c.failure() != null);
            assertNull(c.failure(), "every byte intact");
            assertEquals(size, c.finalResponses().get(0).bodyLength());
            assertFalse(c.eos(), "the bystander's connection stays open");
        }
        await("three transactions logged", () -> log.size() == 3);
        for (AccessLogRecord r : log) {
            boolean reset = r.url().equals("/huge");
            assertTrue(reset ? r.bytesOut() < huge : r.bytesOut() > size,
                    () -> "only the reset transaction fell short: " + log);
        }

        // Both bystanders can go on: keep-alive survived the neighbour's reset.
        bystander.send(get("/big"));
        inProcess.send(get("/big"));
        awaitResponses(bystander, 2);
        awaitResponses(inProcess, 2);
    }

    // ------------------------------------------------------------------ real clients (KERNEL_SOCKETS)

    private HttpClient jdkClient() {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(WAIT).build();
        // JDK 21+ can close a client (and its pooled sockets); on 17 the proxy's close ends them.
        closeAfter(() -> {
            if (client instanceof AutoCloseable c) {
                c.close();
            }
        });
        return client;
    }

    private static HttpRequest.Builder request(NetAcceptor.Listener listener, String path) {
        return HttpRequest.newBuilder(URI.create(url(listener) + path.substring(1))).timeout(WAIT);
    }

    @Test
    void jdk_http_client_get_through_an_intercept() throws Exception {
        requires(Capability.KERNEL_SOCKETS);
        HttpKitServer intercept = server(req -> Reply.ok("hello " + req.head().target()));
        HttpProxy proxy = proxy(b -> b.hooks(interceptAll(intercept)));
        NetAcceptor.Listener listener = listen(proxy.sessionAcceptor());
        HttpResponse<String> response = jdkClient().send(request(listener, "/jdk?x=1").GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        assertEquals(HttpClient.Version.HTTP_1_1, response.version());
        assertEquals("hello /jdk?x=1", response.body());
        assertTrue(response.headers().firstValue("Via").orElse("").contains("vconn"), () -> "" + response.headers());
        await("logged", () -> log.size() == 1);
        assertTrue(log.get(0).toLogLine().contains("cqint=0"));
    }

    @Test
    void jdk_http_client_post_bodies_are_echoed_back_with_a_length_or_chunked() throws Exception {
        requires(Capability.KERNEL_SOCKETS);
        HttpKitServer intercept = server(req -> Reply.ok(req.body())
                .header("X-Request-Framing", req.head().headers().isChunked() ? "chunked" : "length"));
        HttpProxy proxy = proxy(b -> b.hooks(interceptAll(intercept)));
        NetAcceptor.Listener listener = listen(proxy.sessionAcceptor());
        HttpClient client = jdkClient();
        byte[] body = UP.bytes(0, 300_000);

        HttpResponse<byte[]> sized = client.send(request(listener, "/echo")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, sized.statusCode());
        assertEquals("length", sized.headers().firstValue("X-Request-Framing").orElse(null));
        assertArrayEquals(body, sized.body());

        // An InputStream publisher has no length: the JDK client sends it chunked.
        HttpResponse<byte[]> chunked = client.send(request(listener, "/echo")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, chunked.statusCode());
        assertEquals("chunked", chunked.headers().firstValue("X-Request-Framing").orElse(null));
        assertArrayEquals(body, chunked.body());
        assertEquals(2, intercept.requests().size());
    }

    @Test
    void jdk_http_client_sends_several_requests_on_one_kept_alive_connection() throws Exception {
        requires(Capability.KERNEL_SOCKETS);
        HttpKitServer intercept = server(req -> Reply.ok("n=" + req.head().target()));
        HttpProxy proxy = proxy(b -> b.hooks(interceptAll(intercept)));
        NetAcceptor.Listener listener = listen(proxy.sessionAcceptor());
        HttpClient client = jdkClient();
        int n = 5;
        for (int i = 0; i < n; i++) {
            HttpResponse<String> r = client.send(request(listener, "/k" + i).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertEquals("n=/k" + i, r.body());
        }
        await(n + " transactions", () -> stats(proxy).transactions() == n);
        assertEquals(1, stats(proxy).networkConnections(), "one connection carried all " + n + " requests");
        assertEquals(n, intercept.accepted(), "one NET_ACCEPT at the intercept per transaction");
    }

    @Test
    void jdk_http_client_reads_a_chunked_response_from_a_remapped_origin() throws Exception {
        requires(Capability.KERNEL_SOCKETS);
        long size = MIB + 123;
        HttpKitServer origin = server(req -> Reply.stream(DOWN, size).chunked(7000));
        NetAcceptor.Listener originListener = listen(origin.acceptor());
        HttpProxy proxy = proxy(b -> b.remap(RemapRule.parse("http://127.0.0.1/", url(originListener))));
        NetAcceptor.Listener listener = listen(proxy.sessionAcceptor());
        HttpResponse<byte[]> r = jdkClient().send(request(listener, "/chunks").GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        assertEquals("chunked", r.headers().firstValue("Transfer-Encoding").orElse(null));
        assertEquals(size, r.body().length);
        DOWN.check(r.body(), r.body().length, 0);
    }

    @Test
    void a_malformed_request_gets_400_and_a_closed_connection_while_the_proxy_serves_others() throws Exception {
        requires(Capability.KERNEL_SOCKETS);
        HttpKitServer intercept = server(req -> Reply.ok("still serving"));
        HttpProxy proxy = proxy(b -> b.hooks(interceptAll(intercept)));
        NetAcceptor.Listener listener = listen(proxy.sessionAcceptor());
        HttpClient client = jdkClient();
        assertEquals("still serving", client.send(request(listener, "/before").GET().build(),
                HttpResponse.BodyHandlers.ofString()).body());

        InetSocketAddress address = (InetSocketAddress) listener.localAddress();
        String answer;
        try (Socket raw = new Socket(address.getAddress(), address.getPort())) {
            raw.setSoTimeout((int) WAIT.toMillis());
            OutputStream os = raw.getOutputStream();
            os.write(HttpWire.bytes("GET /bad HTTP/1.1\r\nHost: kit.test\r\nNo colon in this line\r\n\r\n"));
            os.flush();
            answer = readToEof(raw.getInputStream()); // bounded by the socket timeout
        }
        assertTrue(answer.startsWith("HTTP/1.1 400 "), answer);
        assertTrue(answer.toLowerCase(java.util.Locale.ROOT).contains("connection: close"), answer);

        assertEquals("still serving", client.send(request(listener, "/after").GET().build(),
                HttpResponse.BodyHandlers.ofString()).body());
        await("three transactions", () -> stats(proxy).transactions() == 3);
        assertEquals(1, stats(proxy).errorResponses());
        assertEquals(2, intercept.accepted(), "the malformed request never reached the intercept");
    }

    private static String readToEof(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] b = new byte[4096];
        int n;
        while ((n = in.read(b)) >= 0) {
            all.write(b, 0, n);
        }
        return HttpWire.text(all.toByteArray());
    }
}
