package dev.vconn.inmemory;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Event;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.ShutdownHow;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VConnError;
import dev.vconn.domain.VIO;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import dev.vconn.domain.http.AccessLogRecord;
import dev.vconn.domain.http.HttpHeaders;
import dev.vconn.domain.http.HttpHookId;
import dev.vconn.domain.http.HttpHooks;
import dev.vconn.domain.http.HttpProxy;
import dev.vconn.domain.http.HttpProxyConfig;
import dev.vconn.domain.http.HttpTxn;
import dev.vconn.domain.http.RemapRule;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.ports.AdoptionException;
import dev.vconn.ports.HttpConnectOptions;
import dev.vconn.ports.HttpConnector;
import dev.vconn.ports.IpAllowList;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.OriginConnectors;
import dev.vconn.ports.TransportConfig;
import dev.vconn.ports.contract.HttpKitServer;
import dev.vconn.ports.contract.HttpKitServer.Reply;
import dev.vconn.ports.contract.HttpWire;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs one round of the HTTP fuzz test: a fresh in-memory transport (on a shared block pool), a proxy with a
 * server intercept for {@code /i/} targets and a remap of {@code /o/} to an origin on the transport's own listener,
 * and {@link #CONNECTIONS} fuzzed client connections at once, all on virtual time. The loop is driven until it is
 * idle (every proxy timer fired, so every session ended), each connection is judged by {@link HttpFuzzOracle}, and
 * the round itself must leave nothing behind: no session, no internal error, no server complaint, every access log
 * status allowed, the block pool at zero, no VConn, pair or socket open.
 *
 * <p>A round is a pure function of the base seed and its number: its cases are seeds {@code base + round *
 * CONNECTIONS + i}, and everything random (requests, slicing, gaps, fault plans) comes from them.
 */
final class HttpFuzzRound {
    /** Connections per round: they share the proxy, the intercept, the origin and its keep-alive pool. */
    static final int CONNECTIONS = 40;
    /** The largest response body the servers make, whatever a mutated target asks for. */
    private static final long MAX_BODY = 200_000;
    /** {@code -Dvconn.fuzz.show=S} prints every case that got status S (to study where a status comes from). */
    private static final int SHOW_STATUS = Integer.getInteger("vconn.fuzz.show", -1);

    /** Paths the round took, counted so the test can show the generator still reaches them. */
    enum Cov {
        /** A 100 Continue reached a client. */
        INTERIM_100,
        /** A client paused reading with bytes waiting, and resumed. */
        READ_PAUSE,
        /** A connection carried two or more responses. */
        KEEP_ALIVE,
        /** A client's fault cut a response short. */
        CUT_BY_FAULT,
        /** A client's read ended with ERROR (a reset) rather than EOS. */
        ENDED_BY_ERROR,
        /** Requests the origin served. */
        ORIGIN_REQUESTS,
        /** Connections the origin accepted (fewer than its requests: keep-alive reuse). */
        ORIGIN_CONNECTIONS,
        /** Requests the intercept served. */
        INTERCEPT_REQUESTS,
        /** Requests whose body was itself a request and reached the origin or intercept as a body. */
        SMUGGLING_BODIES,
        /** Requests whose target the proxy normalised (dot segments or encodings) before they were served. */
        NORMALISED_TARGETS,
        /** CONNECT tunnels that carried bytes both ways and ended cleanly (judged byte for byte). */
        TUNNELS_EXACT,
        /** CONNECTs answered 200 whose first tunnel bytes came in the same write as the head (read ahead). */
        TUNNELS_READ_AHEAD,
        /** Stalled tunnels that the inactivity timeout ended. */
        TUNNELS_TIMED_OUT,
        /** CONNECTs refused (403, 400) or failed (502). */
        TUNNELS_REFUSED,
        /** Upgrades the origin accepted with a 101, then carried both ways and ended cleanly (judged byte for byte). */
        UPGRADES_EXACT,
        /** Upgrade requests the origin answered 200 (the connection went on), or 101s nobody asked for (502). */
        UPGRADES_NOT_TAKEN
    }

    /** A bug planted on purpose, to show that the oracle catches it. */
    enum Plant {
        NONE,
        /** The intercept and origin send one byte less than asked (the length field says so too). */
        SHORT_BODY,
        /** A SEND_RESPONSE_HDR hook adds Content-Length to chunked responses. */
        LENGTH_WITH_CHUNKED,
        /** A SEND_REQUEST_HDR hook drops Content-Length when the client named it in Connection (the old bug). */
        FRAMING_DROPPED
    }

    /**
     * One connection that broke the oracle.
     *
     * @param c          the case
     * @param violations what went wrong
     * @param received   what its client read
     * @param trace      its client's events (only when traced)
     */
    record Failure(HttpFuzzCase c, List<String> violations, byte[] received, List<String> trace) {
    }

    /**
     * What a round did.
     *
     * @param round      its number
     * @param cases      its connections
     * @param failures   the connections that broke the oracle
     * @param problems   what the round as a whole broke (leaks, internal errors, an exception out of the loop)
     * @param requests   requests written
     * @param statuses   final statuses the clients read, counted by status
     * @param virtualNanos virtual time the round took
     * @param coverage   counts per {@link Cov}
     */
    record Result(long round, List<HttpFuzzCase> cases, List<Failure> failures, List<String> problems, int requests,
            int[] statuses, long virtualNanos, long[] coverage) {
        boolean ok() {
            return failures.isEmpty() && problems.isEmpty();
        }
    }

    private HttpFuzzRound() {
    }

    /** The case seeds of a round. */
    static long firstSeed(long base, long round) {
        return base + round * CONNECTIONS;
    }

    static Result run(long base, long round, BlockPool pool, long tracedSeed, Plant plant) {
        List<HttpFuzzCase> cases = new ArrayList<>();
        for (int i = 0; i < CONNECTIONS; i++) {
            cases.add(new HttpFuzzCase(firstSeed(base, round) + i));
        }
        List<Failure> failures = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        int[] statuses = new int[600];
        long[] coverage = new long[Cov.values().length];
        InMemoryTransport transport = new InMemoryTransport(new TransportConfig(1, pool, Duration.ofSeconds(5)));
        VirtualTimeEventLoop loop = transport.loop();
        long roundSeed = firstSeed(base, round) * 31 + 7;
        // Connections made by connect (client to listener, proxy to origin) arrive in random fragments.
        transport.network().setConnectFaults(FaultPlan.builder(roundSeed).fragmentation(true).build(),
                FaultPlan.builder(roundSeed + 1).fragmentation(true).latency(Duration.ofMillis(1)).build());
        List<AccessLogRecord> log = new CopyOnWriteArrayList<>();
        HttpKitServer intercept = new HttpKitServer(pool, req -> respond(req, plant));
        HttpKitServer origin = new HttpKitServer(pool, req -> respond(req, plant));
        List<FuzzClient> clients = new ArrayList<>();
        List<TunnelExchange.Client> tunnelClients = new ArrayList<>();
        TunnelExchange.Target target = new TunnelExchange.Target(pool, tracedSeed);
        int[] forbiddenAccepts = new int[1];
        HttpProxy proxy = null;
        NetAcceptor.Listener originListener = null;
        NetAcceptor.Listener proxyListener = null;
        NetAcceptor.Listener targetListener = null;
        NetAcceptor.Listener forbiddenListener = null;
        NetAcceptor.Listener upgradeListener = null;
        try {
            InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
            originListener = transport.netAcceptor().listen(any, origin.acceptor());
            targetListener = transport.netAcceptor().listen(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    TunnelExchange.TARGET_PORT), target.acceptor);
            upgradeListener = transport.netAcceptor().listen(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    TunnelExchange.ORIGIN_PORT), target.originAcceptor);
            forbiddenListener = transport.netAcceptor().listen(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    TunnelExchange.FORBIDDEN_PORT), new Continuation((event, data) -> {
                        forbiddenAccepts[0]++;
                        if (data instanceof VConn v) {
                            v.close();
                        }
                    }, new ReentrantLock()));
            int originPort = ((InetSocketAddress) originListener.localAddress()).getPort();
            HttpHooks.Builder hooks = HttpHooks.builder().add(HttpHookId.READ_REQUEST_HDR,
                    new Continuation((event, data) -> {
                        HttpTxn txn = (HttpTxn) data;
                        if (txn.clientRequest().target().contains("/i/")) {
                            txn.intercept(intercept.acceptor());
                        }
                        txn.reenable();
                    }));
            if (plant == Plant.FRAMING_DROPPED) {
                hooks.add(HttpHookId.SEND_REQUEST_HDR, new Continuation((event, data) -> {
                    HttpTxn txn = (HttpTxn) data;
                    if (txn.clientRequest().headers().connectionTokens().contains("content-length")) {
                        txn.serverRequest().headers().remove(HttpHeaders.CONTENT_LENGTH);
                    }
                    txn.reenable();
                }));
            }
            if (plant == Plant.LENGTH_WITH_CHUNKED) {
                hooks.add(HttpHookId.SEND_RESPONSE_HDR, new Continuation((event, data) -> {
                    HttpTxn txn = (HttpTxn) data;
                    HttpHeaders h = txn.clientResponse().headers();
                    if (h.isChunked()) {
                        h.add(HttpHeaders.CONTENT_LENGTH, "1");
                    }
                    txn.reenable();
                }));
            }
            proxy = new HttpProxy(HttpProxyConfig.builder(pool)
                    .originConnector(OriginConnectors.of(transport.netConnector()))
                    .remap(RemapRule.parse("http://*/o/", "http://127.0.0.1:" + originPort + "/o/"))
                    .remap(RemapRule.parse("http://*/u/", "http://127.0.0.1:" + TunnelExchange.ORIGIN_PORT + "/u/"))
                    .accessControl(IpAllowList.parse("deny 10.66.0.0/16, allow 0.0.0.0/0, allow ::/0, allow unix"))
                    .hooks(hooks.build())
                    .accessLog(log::add)
                    .connectPorts(Set.of(TunnelExchange.TARGET_PORT, TunnelExchange.UNREACHABLE_PORT))
                    .build());
            proxyListener = transport.netAcceptor().listen(any, proxy.sessionAcceptor());
            HttpConnector connector = transport.httpConnector(proxy.sessionAcceptor());
            byte[] chunk = new byte[16 * 1024];

            for (HttpFuzzCase c : cases) {
                if (c.tunnel != null) {
                    target.plans.put(c.seed, c.tunnel);
                    TunnelExchange.Client tc = new TunnelExchange.Client(c.tunnel, pool, c.tunnelFaulted,
                            c.seed == tracedSeed);
                    tunnelClients.add(tc);
                    tc.lock.lock();
                    try {
                        open(c, tc.cont, tc::start, transport, connector, proxy, proxyListener);
                    } finally {
                        tc.lock.unlock();
                    }
                    continue;
                }
                FuzzClient client = new FuzzClient(c, loop, pool, chunk, c.seed == tracedSeed);
                clients.add(client);
                client.connect(transport, connector, proxy, proxyListener);
            }
            loop.runUntilIdle();

            for (FuzzClient client : clients) {
                HttpFuzzOracle.Seen seen = client.seen();
                HttpFuzzOracle.Verdict verdict = HttpFuzzOracle.judge(client.c, seen);
                List<String> v = verdict.violations();
                coverage[Cov.INTERIM_100.ordinal()] += seen.interim();
                coverage[Cov.READ_PAUSE.ordinal()] += client.pausedOnce ? 1 : 0;
                coverage[Cov.KEEP_ALIVE.ordinal()] += verdict.finals().size() >= 2 ? 1 : 0;
                coverage[Cov.CUT_BY_FAULT.ordinal()] += client.c.expect == HttpFuzzCase.Expect.FAULTED
                        && verdict.truncated() ? 1 : 0;
                coverage[Cov.ENDED_BY_ERROR.ordinal()] += seen.readError() ? 1 : 0;
                for (HttpWire.Response r : verdict.finals()) {
                    statuses[Math.min(599, r.status())]++;
                    if (r.status() == SHOW_STATUS) {
                        System.out.println("status " + SHOW_STATUS + ": " + client.c.describe());
                    }
                }
                if (!v.isEmpty() || client.c.seed == tracedSeed) {
                    failures.add(new Failure(client.c, v, seen.received(), client.trace));
                }
                client.close();
            }
            for (TunnelExchange.Client tc : tunnelClients) {
                judgeTunnel(cases, tc, target, log, failures, statuses, coverage, tracedSeed);
            }
            if (forbiddenAccepts[0] != 0) {
                problems.add(forbiddenAccepts[0] + " connection(s) to port " + TunnelExchange.FORBIDDEN_PORT
                        + ", which is not in the CONNECT allow-list");
            }
            for (TunnelExchange.TargetConn tc : target.connections) {
                if (tc.plan == null && !tc.failures.isEmpty()) {
                    problems.add("CONNECT target or upgrade origin: " + tc.failures);
                }
                if (tc.plan == null && !tc.closed) {
                    problems.add("a connection to the CONNECT target or upgrade origin that carried no tunnel was "
                            + "never closed");
                }
            }
            tunnelClients.forEach(TunnelExchange.Peer::release);
            target.releaseAll();
            loop.runUntilIdle();

            if (proxy.openSessions() != 0) {
                problems.add(proxy.openSessions() + " session(s) still open after every client closed");
            }
            var stats = proxy.stats().snapshot();
            if (stats.internalErrors() != 0) {
                problems.add(stats.internalErrors() + " session(s) failed with an exception (Http1ClientSession.fail)");
            }
            if (stats.transactions() != log.size()) {
                problems.add(stats.transactions() + " transactions but " + log.size() + " access log records");
            }
            for (AccessLogRecord rec : log) {
                if (rec.status() != 0 && !HttpFuzzOracle.ALLOWED.contains(rec.status())) {
                    problems.add("access log status " + rec.status() + ": " + rec.toLogLine());
                }
            }
            coverage[Cov.ORIGIN_REQUESTS.ordinal()] += origin.requests().size();
            coverage[Cov.ORIGIN_CONNECTIONS.ordinal()] += origin.accepted();
            coverage[Cov.INTERCEPT_REQUESTS.ordinal()] += intercept.requests().size();
            for (HttpKitServer s : List.of(intercept, origin)) {
                String who = s == intercept ? "intercept" : "origin";
                for (HttpKitServer.Request req : s.requests()) {
                    problems.addAll(forwardingViolations(cases, req, who, coverage));
                }
            }
            for (HttpKitServer s : List.of(intercept, origin)) {
                if (s.failure() != null) {
                    problems.add((s == intercept ? "intercept: " : "origin: ") + s.failure());
                }
            }
        } catch (RuntimeException | AssertionError | IOException e) {
            // An exception out of the loop escaped some handler: the worst outcome.
            java.io.StringWriter w = new java.io.StringWriter();
            e.printStackTrace(new java.io.PrintWriter(w));
            problems.add("an exception escaped into the event loop: " + w);
        } finally {
            try {
                for (FuzzClient client : clients) {
                    client.close();
                }
                tunnelClients.forEach(TunnelExchange.Peer::release);
                target.releaseAll();
                if (proxy != null) {
                    proxy.close();
                }
                if (proxyListener != null) {
                    proxyListener.close();
                }
                if (originListener != null) {
                    originListener.close();
                }
                if (targetListener != null) {
                    targetListener.close();
                }
                if (forbiddenListener != null) {
                    forbiddenListener.close();
                }
                if (upgradeListener != null) {
                    upgradeListener.close();
                }
                intercept.closeAll();
                origin.closeAll();
                loop.runUntilIdle();
                intercept.closeAll(); // connections the last events made
                origin.closeAll();
                target.releaseAll(); // connections the last events made
                loop.runUntilIdle();
            } catch (RuntimeException e) {
                problems.add("cleaning up threw " + e);
            }
            if (pool.outstanding() != 0) {
                problems.add(pool.outstanding() + " blocks still outstanding after the round: " + pool);
            }
            if (!transport.openResources().isEmpty()) {
                problems.add("left open: " + transport.openResources());
            }
            if (transport.openSockets() != 0) {
                problems.add(transport.openSockets() + " in-memory sockets left open");
            }
            transport.close();
        }
        int requests = cases.stream().mapToInt(HttpFuzzCase::requestCount).sum();
        return new Result(round, cases, failures, problems, requests, statuses, loop.nanoTime(), coverage);
    }

    /** Judges one CONNECT exchange ({@link TunnelExchange#judge}) and counts what it did. */
    private static void judgeTunnel(List<HttpFuzzCase> cases, TunnelExchange.Client tc,
            TunnelExchange.Target target, List<AccessLogRecord> log, List<Failure> failures, int[] statuses,
            long[] coverage, long tracedSeed) {
        HttpFuzzCase c = cases.stream().filter(x -> x.tunnel == tc.plan).findFirst().orElseThrow();
        TunnelExchange.Plan p = tc.plan;
        AccessLogRecord rec = null;
        if (c.via == HttpFuzzCase.Via.IN_PROCESS) {
            rec = log.stream().filter(x -> x.pluginId() == c.seed && x.url().equals(p.target)).findFirst()
                    .orElse(null);
        }
        List<TunnelExchange.TargetConn> conns = target.of(c.seed);
        List<String> v = TunnelExchange.judge(p, tc, conns, c.tunnelFaulted,
                dev.vconn.domain.http.HttpTimeouts.defaults().inactivity(), Duration.ofSeconds(1), rec);
        for (int i = 0; i < p.priors.size(); i++) {
            statuses[200]++;
        }
        if (tc.connectStatus > 0) {
            statuses[Math.min(599, tc.connectStatus)]++;
        }
        boolean clean = v.isEmpty() && !c.tunnelFaulted;
        boolean upgrade = p.target.startsWith("/u/");
        if (clean && p.kind.tunnels() && p.ending.clean()) {
            coverage[p.ending == TunnelExchange.Ending.STALL ? Cov.TUNNELS_TIMED_OUT.ordinal()
                    : upgrade ? Cov.UPGRADES_EXACT.ordinal() : Cov.TUNNELS_EXACT.ordinal()]++;
            coverage[Cov.TUNNELS_READ_AHEAD.ordinal()] += p.pipelined > 0 ? 1 : 0;
        }
        if (clean && !p.kind.tunnels()) {
            coverage[upgrade ? Cov.UPGRADES_NOT_TAKEN.ordinal() : Cov.TUNNELS_REFUSED.ordinal()]++;
        }
        if (!v.isEmpty() || c.seed == tracedSeed) {
            List<String> trace = new ArrayList<>();
            if (tc.trace != null) {
                trace.addAll(tc.trace);
            }
            conns.stream().filter(x -> x.trace != null).forEach(x -> trace.addAll(x.trace));
            failures.add(new Failure(c, v, tc.received.toByteArray(), trace));
        }
    }

    /**
     * What the proxy must never forward (docs/http.md, "What the proxy normalises and rejects"), judged on one request
     * the origin or intercept served: a path outside the remap prefix or not normalised, a request that was a body
     * when the client sent it, and a body whose length differs from what the client framed. Requests of cases
     * mutated at random ({@link HttpFuzzCase.Expect#RELAXED}) may legitimately be anything, so only their paths are
     * judged.
     */
    static List<String> forwardingViolations(List<HttpFuzzCase> cases, HttpKitServer.Request req, String who,
            long[] coverage) {
        List<String> v = new ArrayList<>();
        String target = req.head().target();
        boolean absolute = target.regionMatches(true, 0, "http://", 0, 7);
        if (absolute || target.startsWith("/")) {
            int slash = absolute ? target.indexOf('/', 7) : 0;
            int q = target.indexOf('?');
            String path = slash < 0 ? "/" : target.substring(slash, q < 0 ? target.length() : Math.max(slash, q));
            if (who.equals("origin") && !path.startsWith("/o/")) {
                v.add("the origin received a path outside the remap prefix /o/: " + target);
            }
            for (String segment : path.split("/", -1)) {
                if (segment.equals(".") || segment.equals("..") || segment.toLowerCase(Locale.ROOT).contains("%2e")) {
                    v.add("the " + who + " received a path that is not normalised: " + target);
                    break;
                }
            }
        }
        int smuggled = target.indexOf(HttpFuzzCase.SMUGGLED);
        if (smuggled >= 0) {
            HttpFuzzCase c = caseOf(cases, target.substring(smuggled + HttpFuzzCase.SMUGGLED.length()));
            if (c != null && c.expect != HttpFuzzCase.Expect.RELAXED) {
                v.add("the " + who + " read a request body as a request (smuggled): " + target + " of case " + c.seed);
            }
        }
        String id = req.head().headers().get(HttpFuzzCase.ID_FIELD);
        if (id != null) {
            String[] parts = id.split("\\.");
            HttpFuzzCase c = parts.length == 3 ? caseOf(cases, parts[0]) : null;
            if (c != null && c.expect != HttpFuzzCase.Expect.RELAXED) {
                if (!parts[2].equals(Integer.toString(req.body().length))) {
                    v.add("the " + who + " received " + req.body().length + " body bytes for request " + id
                            + ", which the client framed with " + parts[2]);
                }
                if (HttpWire.text(req.body()).contains(HttpFuzzCase.SMUGGLED)) {
                    coverage[Cov.SMUGGLING_BODIES.ordinal()]++;
                }
                String sent = c.requests.get(Integer.parseInt(parts[1]) % c.requests.size()).what();
                if (sent.contains("/.") || sent.contains("/%")) {
                    coverage[Cov.NORMALISED_TARGETS.ordinal()]++;
                }
            }
        }
        return v;
    }

    /** The case whose seed {@code digits} starts with, or null. */
    private static HttpFuzzCase caseOf(List<HttpFuzzCase> cases, String digits) {
        int end = 0;
        while (end < digits.length() && Character.isDigit(digits.charAt(end))) {
            end++;
        }
        if (end == 0 || end > 18) {
            return null;
        }
        long seed = Long.parseLong(digits.substring(0, end));
        return cases.stream().filter(c -> c.seed == seed).findFirst().orElse(null);
    }

    /** The intercept's and origin's answer: {@code [/i]/len/N}, {@code chunk/N}, {@code close/N}, {@code echo}. */
    static Reply respond(HttpKitServer.Request req, Plant plant) {
        String target = req.head().target();
        if (target.regionMatches(true, 0, "http://", 0, 7)) {
            int slash = target.indexOf('/', 7);
            target = slash < 0 ? "/" : target.substring(slash);
        }
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        if (path.startsWith("/i/") || path.startsWith("/o/")) {
            path = path.substring(2); // the intercept's prefix, or the origin's (the remap keeps /o/)
        }
        if (path.equals("/echo")) {
            return Reply.ok(req.body());
        }
        String[] parts = path.split("/");
        if (parts.length != 3) {
            return Reply.ok("fuzz");
        }
        long n;
        try {
            n = Long.parseLong(parts[2]);
        } catch (NumberFormatException e) {
            return Reply.ok("fuzz");
        }
        if (n < 0 || n > MAX_BODY) {
            return Reply.ok("fuzz");
        }
        if (plant == Plant.SHORT_BODY && n > 0) {
            n--;
        }
        Reply r = Reply.stream(HttpFuzzCase.PATTERN, n);
        return switch (parts[1]) {
            case "len" -> r;
            case "chunk" -> r.chunked((int) (1 + n * 31 % 4096));
            case "close" -> r.untilClose();
            default -> Reply.ok("fuzz");
        };
    }

    /**
     * Connects a client of case {@code c} to the proxy as its {@link HttpFuzzCase.Via} says: {@code start} gets the
     * client's VConn at once, or {@code cont} gets NET_CONNECT with it (through the listener). Call under
     * {@code cont}'s lock.
     */
    static void open(HttpFuzzCase c, Continuation cont, java.util.function.Consumer<VConn> start,
            InMemoryTransport transport, HttpConnector connector, HttpProxy proxy, NetAcceptor.Listener proxyListener)
            throws IOException {
        switch (c.via) {
            case IN_PROCESS -> start.accept(connector.connect(HttpConnectOptions.builder()
                    .clientAddress(new InetSocketAddress(InetAddress.getByName(c.clientIp), c.clientPort))
                    .tag("fuzz").id(c.seed).build()));
            case ADOPTED_SOCKET -> {
                InMemoryNetwork.ChannelPair pair = transport.network().openPair(c.toProxy, c.toClient);
                try {
                    VConn proxyEnd = transport.socketAdopter().adopt(pair.local());
                    // What the proxy's NetAcceptor would do with an accepted socket.
                    ContinuationScheduler.dispatch(transport.loop(), proxy.sessionAcceptor(), Event.NET_ACCEPT,
                            proxyEnd);
                    start.accept(transport.socketAdopter().adopt(pair.peer()));
                } catch (AdoptionException e) {
                    throw new IllegalStateException("adopting an in-memory pair failed", e);
                }
            }
            case LISTENER -> transport.netConnector().connect(cont, proxyListener.localAddress());
            default -> throw new IllegalStateException(c.via.name());
        }
    }

    /**
     * One fuzzed client: writes its case's slices one write VIO at a time (each after the previous completed and
     * its gap passed; in sequential mode a request only once the previous ones were answered), reads everything,
     * and ends as its case says. Everything runs under its lock; it records, never throws into the loop.
     */
    static final class FuzzClient {
        private static final Object SEND = "send";
        private static final Object RESUME = "resume";
        final HttpFuzzCase c;
        final List<String> trace;
        private final VirtualTimeEventLoop loop;
        private final BlockPool pool;
        private final ReentrantLock lock = new ReentrantLock();
        private final Continuation cont = new Continuation(this::handle, lock);
        private final ByteArrayOutputStream received = new ByteArrayOutputStream(4096);
        /** Counts responses, to pace sequential requests. */
        private final HttpWire.ResponseParser pace = new HttpWire.ResponseParser(null, false);
        private final byte[] chunk;
        private VConn vconn;
        private IOBuffer out;
        private IOBufferReader outReader;
        private IOBuffer in;
        private IOBufferReader inReader;
        private WriteVio write;
        private ReadVio read;
        private int slice;
        private long readLimit;
        private boolean paused;
        boolean pausedOnce;
        private boolean waiting;
        private boolean eos;
        private boolean readError;
        private boolean writeDead;
        private boolean broke;
        private boolean closed;
        private String failure;

        FuzzClient(HttpFuzzCase c, VirtualTimeEventLoop loop, BlockPool pool, byte[] chunk, boolean traced) {
            this.c = c;
            this.chunk = chunk; // shared: every client runs on the one loop thread
            this.readLimit = c.pauseAfter >= 0 ? c.pauseAfter : Long.MAX_VALUE;
            this.loop = loop;
            this.pool = pool;
            this.trace = traced ? new ArrayList<>() : null;
            for (HttpFuzzCase.Req q : c.requests) {
                pace.expectHead(q.head());
            }
        }

        void connect(InMemoryTransport transport, HttpConnector connector, HttpProxy proxy,
                NetAcceptor.Listener proxyListener) throws IOException {
            lock.lock();
            try {
                open(c, cont, this::start, transport, connector, proxy, proxyListener);
            } finally {
                lock.unlock();
            }
        }

        private void start(VConn vc) {
            vconn = vc;
            out = new IOBuffer(pool);
            outReader = out.allocReader();
            in = new IOBuffer(pool);
            inReader = in.allocReader();
            read = vc.read(cont, Long.MAX_VALUE, in);
            note("connected " + c.via);
            next();
        }

        /** Schedules the next slice, or waits for responses, or does the case's end. */
        private void next() {
            if (closed || broke || writeDead) {
                return;
            }
            if (slice >= c.slices.size()) {
                switch (c.end) {
                    case SHUTDOWN_WRITE -> {
                        note("shutdown write");
                        writeDead = true;
                        vconn.shutdown(ShutdownHow.WRITE);
                    }
                    case CLOSE_AFTER_SEND -> {
                        note("close");
                        broke = true;
                        vconn.close();
                    }
                    default -> { }
                }
                return;
            }
            HttpFuzzCase.Slice s = c.slices.get(slice);
            if (c.sending == HttpFuzzCase.Sending.SEQUENTIAL && s.offset() == 0 && s.request() > 0
                    && pace.finalResponses().size() < s.request()) {
                waiting = true;
                return;
            }
            waiting = false;
            ContinuationScheduler.schedule(loop, cont, Event.IMMEDIATE, SEND, s.delay());
        }

        private void send() {
            if (closed || broke || writeDead) {
                return;
            }
            HttpFuzzCase.Slice s = c.slices.get(slice);
            if (s.length() == 0) {
                slice++;
                afterSlice();
                return;
            }
            out.write(c.requests.get(s.request()).bytes(), s.offset(), s.length());
            write = vconn.write(cont, s.length(), outReader);
            note("write " + s.length() + " bytes of request " + s.request());
        }

        private void afterSlice() {
            if (slice - 1 == c.breakAfterSlice) {
                if (c.end == HttpFuzzCase.End.SHUTDOWN_MID) {
                    note("shutdown write mid-request");
                    writeDead = true;
                    vconn.shutdown(ShutdownHow.WRITE);
                    return;
                }
                if (c.end == HttpFuzzCase.End.ABORT_MID) {
                    note("abort");
                    broke = true;
                    vconn.abort(dev.vconn.domain.Errno.ECONNRESET, new IOException("the fuzz client resets"));
                    return;
                }
            }
            next();
        }

        private void handle(Event event, Object data) {
            if (closed) {
                return;
            }
            try {
                switch (event) {
                    case NET_CONNECT -> start((VConn) data);
                    case NET_CONNECT_FAILED -> fail("connecting to the proxy failed: " + (VConnError) data);
                    case IMMEDIATE -> {
                        if (data == RESUME) {
                            note("resume reading");
                            paused = false;
                            drain();
                        } else {
                            send();
                        }
                    }
                    case READ_READY, READ_COMPLETE -> drain();
                    case EOS -> {
                        eos = true; // first: drain must not reenable, which would report EOS again
                        drain();
                        note("EOS");
                    }
                    case ERROR -> {
                        if (data == read) {
                            readError = true;
                            note("read ERROR " + vconn.error());
                        } else {
                            writeDead = true;
                            note("write ERROR " + vconn.error());
                        }
                    }
                    case WRITE_COMPLETE -> {
                        if (data == write) {
                            slice++;
                            afterSlice();
                        }
                    }
                    case WRITE_READY -> { }
                    default -> fail("unexpected " + event + " with " + data);
                }
                if (event != Event.IMMEDIATE && !(data instanceof VIO) && event != Event.NET_CONNECT
                        && event != Event.NET_CONNECT_FAILED) {
                    fail(event + " without a VIO");
                }
            } catch (RuntimeException e) {
                fail(event + " threw " + e);
            }
        }

        private void drain() {
            if (paused) {
                return;
            }
            long n;
            while ((n = Math.min(inReader.readAvail(), readLimit - received.size())) > 0) {
                int k = inReader.read(chunk, 0, (int) Math.min(n, chunk.length));
                received.write(chunk, 0, k);
                pace.feed(chunk, 0, k);
                note("read " + k + " bytes");
            }
            if (received.size() >= readLimit && inReader.readAvail() > 0) {
                // Paused: no reenable, so the transport stops filling the buffer; one resume, later.
                note("pause reading for " + c.pauseFor);
                paused = true;
                pausedOnce = true;
                readLimit = Long.MAX_VALUE;
                ContinuationScheduler.schedule(loop, cont, Event.IMMEDIATE, RESUME, c.pauseFor);
                return;
            }
            if (read != null && !eos) {
                read.reenable();
            }
            if (waiting) {
                next();
            }
        }

        private void note(String what) {
            if (trace != null) {
                trace.add(String.format(Locale.ROOT, "t=%.3f ms %s", loop.nanoTime() / 1e6, what));
            }
        }

        private void fail(String what) {
            if (failure == null) {
                failure = "fuzz client: " + what;
            }
        }

        HttpFuzzOracle.Seen seen() {
            lock.lock();
            try {
                return new HttpFuzzOracle.Seen(received.toByteArray(), eos, readError, broke, failure);
            } finally {
                lock.unlock();
            }
        }

        void close() {
            lock.lock();
            try {
                if (closed) {
                    return;
                }
                closed = true;
                if (vconn != null) {
                    vconn.close();
                    out.close();
                    in.close();
                }
            } finally {
                lock.unlock();
            }
        }
    }
}
