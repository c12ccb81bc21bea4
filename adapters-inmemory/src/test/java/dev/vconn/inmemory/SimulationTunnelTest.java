package dev.vconn.inmemory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Event;
import dev.vconn.domain.VConn;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.http.AccessLogRecord;
import dev.vconn.domain.http.HttpProxy;
import dev.vconn.domain.http.HttpProxyConfig;
import dev.vconn.domain.http.HttpTimeouts;
import dev.vconn.domain.http.RemapRule;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.inmemory.TunnelExchange.Ending;
import dev.vconn.inmemory.TunnelExchange.Kind;
import dev.vconn.ports.AdoptionException;
import dev.vconn.ports.HttpConnectOptions;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.OriginConnectors;
import dev.vconn.ports.TransportConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

/**
 * The tunnel simulation: one seeded CONNECT exchange ({@link TunnelExchange.Plan}) per seed through an
 * {@code HttpProxy} on a fresh in-memory transport, on virtual time, with a fault plan on each of its four
 * directions (client to proxy, proxy to client, proxy to target, target to proxy): fragmentation down to one byte,
 * latency, bandwidth, and on some seeds a reset, an early EOF or an I/O error at byte N. Every seed must end with both
 * the client and the target closed on their own terms, the bytes each way exact (or, under a fault or an abort, a
 * prefix: nothing invented, nothing reordered), no event after a close, a stalled tunnel ended by the proxy's
 * inactivity timeout at the right virtual time, no session left, and the block pool, the transport's resources and
 * the network's sockets back at zero.
 *
 * <ul>
 *   <li>{@code -Dvconn.simtunnel.seed=N} runs seed N and prints its scenario and both peers' events;</li>
 *   <li>{@code -Dvconn.simtunnel.count=M} runs M seeds (default {@value #DEFAULT_COUNT}) from
 *       {@code -Dvconn.simtunnel.base} (default {@value #BASE_SEED_HEX}).</li>
 * </ul>
 */
class SimulationTunnelTest {
    static final long BASE_SEED = 0x7E550000L;
    static final String BASE_SEED_HEX = "0x7E550000";
    static final int DEFAULT_COUNT = 1000;
    static final String REPLAY = "./mvnw -B -pl adapters-inmemory -am test -Dtest=SimulationTunnelTest "
            + "-Dsurefire.failIfNoSpecifiedTests=false -Dvconn.simtunnel.seed=";
    /** How much virtual time a seed may take before it counts as not quiescing. */
    static final Duration LIMIT = Duration.ofMinutes(10);

    /** Paths every default run must take at least once, so the generator cannot silently stop reaching them. */
    static final List<String> PATHS = List.of("clean CLIENT_HALF_CLOSE", "clean CLIENT_CLOSE",
            "clean TARGET_HALF_CLOSE", "clean TARGET_CLOSE", "clean STALL timed out", "CLIENT_ABORT", "TARGET_ABORT",
            "REFUSED_PORT", "BAD_TARGET", "UNREACHABLE", "clean upgrade", "UPGRADE_DECLINED", "UPGRADE_UNASKED",
            "echo", "read ahead", "origin read ahead", "silent client", "client pauses reading", "in-process client",
            "reset at byte N", "EOF at byte N", "I/O error at byte N", "fragmented");

    @Test
    void seeded_tunnels_under_faults_end_with_both_sides_closed_and_nothing_left_behind() {
        Long only = Long.getLong("vconn.simtunnel.seed");
        if (only != null) {
            Result r = run(only, new BlockPool(), true);
            System.out.println("vconn tunnel simulation, seed " + only + ": " + r.scenario().describe());
            r.trace().forEach(line -> System.out.println("  " + line));
            System.out.println(r.ok() ? "all invariants hold" : "violations: " + r.violations());
            if (!r.ok()) {
                fail(report(r));
            }
            return;
        }
        int count = Integer.getInteger("vconn.simtunnel.count", DEFAULT_COUNT);
        long base = Long.getLong("vconn.simtunnel.base", BASE_SEED);
        BlockPool pool = new BlockPool();
        List<Result> failures = new ArrayList<>();
        Map<String, Integer> paths = new TreeMap<>();
        long virtualNanos = 0;
        long started = System.nanoTime();
        long cpuStarted = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        for (int i = 0; i < count; i++) {
            Result r = run(base + i, pool, false);
            virtualNanos += r.virtualNanos();
            r.paths().forEach(p -> paths.merge(p, 1, Integer::sum));
            if (!r.ok()) {
                failures.add(r);
                pool = new BlockPool(); // a failed seed may have left blocks out: start the next one clean
            }
        }
        long cpuMs = (java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime()
                - cpuStarted) / 1_000_000;
        System.out.printf("vconn tunnel simulation: %d seeds from %d in %d ms (%d ms of CPU), %.1f s of virtual time, "
                + "%d failed%n  paths taken %s%n", count, base, (System.nanoTime() - started) / 1_000_000, cpuMs,
                virtualNanos / 1e9, failures.size(), paths);
        if (!failures.isEmpty()) {
            StringBuilder seeds = new StringBuilder();
            failures.stream().limit(20).forEach(f -> seeds.append(' ').append(f.seed()));
            fail(report(failures.get(0)) + "\n" + failures.size() + " of " + count + " seeds failed:" + seeds);
        }
        if (count >= DEFAULT_COUNT) {
            for (String p : PATHS) {
                assertTrue(paths.containsKey(p), "the tunnel simulation never took path '" + p + "' in " + count
                        + " seeds: the generator no longer reaches it");
            }
        }
    }

    @Test
    void the_same_seed_replays_the_same_run() {
        for (long seed = BASE_SEED; seed < BASE_SEED + 15; seed++) {
            Result a = run(seed, new BlockPool(), false);
            Result b = run(seed, new BlockPool(), false);
            assertEquals(a.scenario().describe(), b.scenario().describe());
            assertEquals(a.fingerprint(), b.fingerprint(), "seed " + seed + " ran differently the second time");
        }
    }

    static String report(Result r) {
        StringBuilder sb = new StringBuilder("tunnel simulation seed ").append(r.seed()).append(" failed: ")
                .append(r.violations().get(0)).append("\n  scenario: ").append(r.scenario().describe())
                .append("\n  replay:   ")
                .append(REPLAY).append(r.seed());
        if (r.violations().size() > 1) {
            sb.append("\n  and: ").append(r.violations().subList(1, Math.min(6, r.violations().size())));
        }
        return sb.toString();
    }

    // --------------------------------------------------------------------------------------------- the oracle can fail

    /** The first seed from the base whose exchange is a clean open tunnel with bytes both ways, and its run. */
    private static Result cleanOpenRun(BlockPool pool) {
        for (long seed = BASE_SEED; ; seed++) {
            Scenario s = new Scenario(seed);
            if (s.plan.kind.tunnels() && s.plan.ending == Ending.CLIENT_HALF_CLOSE && !s.faulted()
                    && s.plan.up.length > 100 && s.plan.down.length > 100 && !s.plan.echo) {
                return run(seed, pool, false);
            }
        }
    }

    @Test
    void the_oracle_rejects_each_planted_fault_in_what_the_peers_saw() {
        Result clean = cleanOpenRun(new BlockPool());
        assertEquals(List.of(), clean.violations(), "the control: the clean run passes");
        TunnelExchange.Plan p = clean.scenario.plan;
        Map<String, java.util.function.Consumer<Peers>> planted = new TreeMap<>();
        planted.put("one byte lost towards the client", x -> x.client.received.reset());
        planted.put("one byte lost towards the target", x -> x.target.received.reset());
        planted.put("one byte invented", x -> x.client.received.write(0));
        planted.put("no EOS at the client", x -> x.client.eos = false);
        planted.put("the target never closed", x -> x.target.closed = false);
        planted.put("an event after close", x -> x.client.failures.add("client: READ_READY after close() returned"));
        for (Map.Entry<String, java.util.function.Consumer<Peers>> e : planted.entrySet()) {
            Peers x = clean.peers.copy();
            if (e.getKey().startsWith("one byte lost")) {
                TunnelExchange.Peer who = e.getKey().endsWith("client") ? x.client : x.target;
                byte[] all = (who == x.client ? clean.peers.client : clean.peers.target).received.toByteArray();
                e.getValue().accept(x);
                who.received.write(all, 0, all.length - 1);
            } else {
                e.getValue().accept(x);
            }
            List<String> v = TunnelExchange.judge(p, x.client, List.of(x.target), false, clean.scenario.inactivity,
                    Duration.ofMillis(1), null);
            assertFalse(v.isEmpty(), "the oracle let through: " + e.getKey());
        }
    }

    /** What a run's two peers saw, kept for {@link #the_oracle_rejects_each_planted_fault_in_what_the_peers_saw}. */
    record Peers(TunnelExchange.Client client, TunnelExchange.TargetConn target) {
        Peers copy() {
            TunnelExchange.Client c = new TunnelExchange.Client(client.plan, new BlockPool(), false, false);
            copyInto(client, c);
            c.tunnelStart = client.tunnelStart;
            c.connectStatus = client.connectStatus;
            c.priorEnd = client.priorEnd;
            TunnelExchange.Target owner = new TunnelExchange.Target(new BlockPool(), -1);
            TunnelExchange.TargetConn t = new TunnelExchange.TargetConn(owner);
            copyInto(target, t);
            t.plan = target.plan;
            return new Peers(c, t);
        }

        private static void copyInto(TunnelExchange.Peer from, TunnelExchange.Peer to) {
            byte[] b = from.received.toByteArray();
            to.received.write(b, 0, b.length);
            to.eos = from.eos;
            to.readError = from.readError;
            to.writeError = from.writeError;
            to.closed = from.closed;
            to.aborted = from.aborted;
            to.lastIo = from.lastIo;
            to.endedAt = from.endedAt;
            to.failures.addAll(from.failures);
        }
    }

    // ------------------------------------------------------------------------------------------------ one seed

    /** Everything a seed decides: the exchange, the proxy's inactivity timeout, how the client connects, faults. */
    static final class Scenario {
        final long seed;
        final Duration inactivity;
        final TunnelExchange.Plan plan;
        final boolean inProcess;
        /** Client to proxy, proxy to client, proxy to target, target to proxy. */
        final FaultPlan[] faults = new FaultPlan[4];

        Scenario(long seed) {
            this.seed = seed;
            SplittableRandom r = new SplittableRandom(seed);
            inactivity = Duration.ofMillis(50 + r.nextInt(1950));
            plan = new TunnelExchange.Plan(seed, r, new TunnelExchange.Limits(200_000, inactivity.dividedBy(5),
                    false));
            inProcess = r.nextInt(10) < 3;
            int faultAt = r.nextInt(100) < 30 ? r.nextInt(inProcess ? 2 : 4) + (inProcess ? 2 : 0) : -1;
            long asked = (plan.head == null ? 0 : plan.head.length)
                    + plan.priors.stream().mapToInt(b -> b.length).sum();
            long[] lengths = {asked + plan.up.length, 64 + plan.down.length, plan.up.length, plan.down.length};
            for (int i = 0; i < 4; i++) {
                faults[i] = inProcess && i < 2 ? FaultPlan.NONE : direction(r, i == faultAt, lengths[i]);
            }
        }

        /**
         * One direction's plan. No bandwidth limit when the exchange stalls, so that its end can be timed closely;
         * otherwise at least 10 MB/s, so that no write waits on the wire for longer than the shortest inactivity
         * timeout.
         */
        private FaultPlan direction(SplittableRandom r, boolean byteFault, long length) {
            FaultPlan.Builder b = FaultPlan.builder(r.nextLong()).fragmentation(r.nextInt(10) < 6);
            if (r.nextInt(10) < 4) {
                b.latency(Duration.ofNanos(1_000L * r.nextInt(5001)));
            }
            if (r.nextInt(10) < 2 && plan.ending != Ending.STALL) {
                b.bytesPerSecond(10_000_000 + r.nextLong(90_000_001));
            }
            if (byteFault) {
                long at = r.nextLong(length + 1);
                switch (r.nextInt(3)) {
                    case 0 -> b.resetAt(at);
                    case 1 -> b.eofAt(at);
                    default -> b.errorAt(at);
                }
            }
            return b.build();
        }

        boolean faulted() {
            for (FaultPlan f : faults) {
                if (f.resetAtByte() != FaultPlan.NEVER || f.eofAtByte() != FaultPlan.NEVER
                        || f.errorAtByte() != FaultPlan.NEVER) {
                    return true;
                }
            }
            return false;
        }

        /** How far a stalled tunnel's end may be from the inactivity timeout: the latencies on the way. */
        Duration slack() {
            long l = 0;
            for (FaultPlan f : faults) {
                l = Math.max(l, f.latency().toNanos());
            }
            return Duration.ofNanos(4 * l + 2_000_000);
        }

        String describe() {
            return "seed=" + seed + " inactivity=" + inactivity + (inProcess ? " in-process client" : " socket client")
                    + ", " + plan.describe() + "\n    client->proxy " + faults[0] + "\n    proxy->client " + faults[1]
                    + "\n    proxy->target " + faults[2] + "\n    target->proxy " + faults[3];
        }
    }

    /**
     * What a seed did.
     *
     * @param seed         the seed
     * @param scenario     what it decided
     * @param violations   what went wrong; empty if nothing
     * @param trace        both peers' events (when traced)
     * @param virtualNanos the virtual time it took
     * @param fingerprint  what it did in a few numbers, for the replay test
     * @param paths        the paths it took
     * @param peers        its client and (first) target connection
     */
    record Result(long seed, Scenario scenario, List<String> violations, List<String> trace, long virtualNanos,
            List<Long> fingerprint, Set<String> paths, Peers peers) {
        boolean ok() {
            return violations.isEmpty();
        }
    }

    static Result run(long seed, BlockPool pool, boolean traced) {
        Scenario s = new Scenario(seed);
        List<String> v = new ArrayList<>();
        Set<String> paths = new java.util.TreeSet<>();
        InMemoryTransport transport = new InMemoryTransport(new TransportConfig(1, pool, Duration.ofSeconds(5)));
        VirtualTimeEventLoop loop = transport.loop();
        transport.network().setConnectFaults(s.faults[2], s.faults[3]);
        TunnelExchange.Target target = new TunnelExchange.Target(pool, traced ? seed : -1);
        target.plans.put(seed, s.plan);
        TunnelExchange.Client client = new TunnelExchange.Client(s.plan, pool, s.faulted(), traced);
        List<AccessLogRecord> log = new CopyOnWriteArrayList<>();
        int[] forbiddenAccepts = new int[1];
        HttpProxy proxy = null;
        List<NetAcceptor.Listener> listeners = new ArrayList<>();
        try {
            InetAddress lo = InetAddress.getLoopbackAddress();
            listeners.add(transport.netAcceptor().listen(new InetSocketAddress(lo, TunnelExchange.TARGET_PORT),
                    target.acceptor));
            listeners.add(transport.netAcceptor().listen(new InetSocketAddress(lo, TunnelExchange.ORIGIN_PORT),
                    target.originAcceptor));
            listeners.add(transport.netAcceptor().listen(new InetSocketAddress(lo, TunnelExchange.FORBIDDEN_PORT),
                    new Continuation((event, data) -> {
                        forbiddenAccepts[0]++;
                        if (data instanceof VConn vc) {
                            vc.close();
                        }
                    }, new ReentrantLock())));
            proxy = new HttpProxy(HttpProxyConfig.builder(pool)
                    .originConnector(OriginConnectors.of(transport.netConnector()))
                    .timeouts(HttpTimeouts.defaults().withInactivity(s.inactivity))
                    .connectPorts(Set.of(TunnelExchange.TARGET_PORT, TunnelExchange.UNREACHABLE_PORT))
                    .remap(RemapRule.parse("http://*/u/", "http://127.0.0.1:" + TunnelExchange.ORIGIN_PORT + "/u/"))
                    .accessLog(log::add)
                    .build());
            HttpProxy p = proxy;
            loop.execute(() -> {
                client.lock.lock();
                try {
                    if (s.inProcess) {
                        client.start(transport.httpConnector(p.sessionAcceptor()).connect(HttpConnectOptions
                                .builder().clientAddress(new InetSocketAddress(lo, 40_000)).tag("sim").id(seed)
                                .build()));
                    } else {
                        InMemoryNetwork.ChannelPair pair = transport.network().openPair(s.faults[0], s.faults[1]);
                        VConn proxyEnd = transport.socketAdopter().adopt(pair.local());
                        // What the proxy's NetAcceptor would do with an accepted socket.
                        ContinuationScheduler.dispatch(loop, p.sessionAcceptor(), Event.NET_ACCEPT, proxyEnd);
                        client.start(transport.socketAdopter().adopt(pair.peer()));
                    }
                } catch (AdoptionException e) {
                    v.add("connecting the client failed: " + e);
                } finally {
                    client.lock.unlock();
                }
            });
            loop.runUntil(() -> false, LIMIT);
            if (loop.readyCount() != 0 || loop.timerCount() != 0) {
                v.add("the run did not quiesce within " + LIMIT + " of virtual time");
            }
            AccessLogRecord rec = log.stream().filter(x -> x.url().equals(s.plan.target)).findFirst().orElse(null);
            int records = s.plan.priors.size() + (s.plan.head == null ? 0 : 1);
            if (log.size() != records && !s.faulted() && !(s.plan.ending == Ending.CLIENT_ABORT
                    && s.plan.kind.tunnels())) {
                v.add(log.size() + " access log records for " + records + " requests: " + log);
            }
            v.addAll(TunnelExchange.judge(s.plan, client, target.of(seed), s.faulted(), s.inactivity, s.slack(),
                    rec));
            if (forbiddenAccepts[0] != 0) {
                v.add("a connection reached the port that is not in the CONNECT allow-list");
            }
            for (TunnelExchange.TargetConn t : target.connections) {
                if (t.plan == null) {
                    v.addAll(t.failures);
                    if (!t.closed) {
                        v.add("a connection to the target or origin that carried no tunnel was never closed");
                    }
                }
            }
            if (proxy.openSessions() != 0) {
                v.add(proxy.openSessions() + " session(s) still open after both ends closed");
            }
            if (proxy.stats().snapshot().internalErrors() != 0) {
                v.add("the session failed with an exception (Http1ClientSession.fail)");
            }
            paths(s, client, target, v.isEmpty(), paths);
        } catch (RuntimeException | AssertionError | IOException e) {
            StringWriter w = new StringWriter();
            e.printStackTrace(new PrintWriter(w));
            v.add("the run threw " + w);
        }
        List<String> trace = new ArrayList<>();
        if (client.trace != null) {
            trace.addAll(client.trace);
            target.connections.stream().filter(t -> t.trace != null).forEach(t -> trace.addAll(t.trace));
        }
        List<TunnelExchange.TargetConn> conns = target.of(seed);
        Peers peers = new Peers(client, conns.isEmpty() ? new TunnelExchange.TargetConn(target) : conns.get(0));
        List<Long> fingerprint = List.of(loop.nanoTime(), (long) client.received.size(), client.endedAt,
                conns.isEmpty() ? -1L : conns.get(0).received.size(), conns.isEmpty() ? -1L : conns.get(0).endedAt,
                (long) log.size());
        try {
            client.release();
            target.releaseAll();
            if (proxy != null) {
                proxy.close();
            }
            listeners.forEach(NetAcceptor.Listener::close);
            loop.runUntilIdle();
            target.releaseAll(); // connections the last events made
            loop.runUntilIdle();
        } catch (RuntimeException e) {
            v.add("cleaning up threw " + e);
        }
        if (pool.outstanding() != 0) {
            v.add(pool.outstanding() + " blocks still outstanding: " + pool);
        }
        if (!transport.openResources().isEmpty()) {
            v.add("left open: " + transport.openResources());
        }
        if (transport.openSockets() != 0) {
            v.add(transport.openSockets() + " in-memory sockets left open");
        }
        long virtual = loop.nanoTime();
        transport.close();
        return new Result(seed, s, v, trace, virtual, fingerprint, paths, peers);
    }

    private static void paths(Scenario s, TunnelExchange.Client c, TunnelExchange.Target t, boolean ok,
            Set<String> paths) {
        TunnelExchange.Plan p = s.plan;
        if (!ok) {
            return;
        }
        if (!p.kind.tunnels()) {
            paths.add(p.kind.name());
        } else if (!p.ending.clean()) {
            paths.add(p.ending.name());
        } else if (!s.faulted()) {
            paths.add("clean " + p.ending + (p.ending == Ending.STALL ? " timed out" : ""));
            if (p.kind == Kind.UPGRADE) {
                paths.add("clean upgrade");
            }
            if (p.silent) {
                paths.add("silent client");
            }
        }
        if (p.kind.tunnels() && c.connectStatus == p.tunnelStatus()) {
            if (p.originAhead > 0) {
                paths.add("origin read ahead");
            }
            if (p.echo) {
                paths.add("echo");
            }
            if (p.pipelined > 0) {
                paths.add("read ahead");
            }
            if (p.pauseAfter >= 0) {
                paths.add("client pauses reading");
            }
        }
        if (s.inProcess) {
            paths.add("in-process client");
        }
        for (FaultPlan f : s.faults) {
            if (f.resetAtByte() != FaultPlan.NEVER) {
                paths.add("reset at byte N");
            }
            if (f.eofAtByte() != FaultPlan.NEVER) {
                paths.add("EOF at byte N");
            }
            if (f.errorAtByte() != FaultPlan.NEVER) {
                paths.add("I/O error at byte N");
            }
            if (f.fragmentation()) {
                paths.add("fragmented");
            }
        }
    }
}
