package dev.vconn.inmemory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.ports.contract.HttpWire;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The HTTP fuzz test: at least 100,000 random and mutated requests through an {@code HttpProxy} on the
 * in-memory transport, on virtual time, from in-process clients ({@code HttpConnector}), adopted in-memory sockets
 * with their own fault plans, and clients of the proxy's {@code NetAcceptor}; answered by a server intercept and by a
 * remapped origin on the same transport. One connection in twelve is a CONNECT or upgrade exchange instead
 * ({@link TunnelExchange}: a CONNECT target and an upgrade origin on the same transport), judged by
 * {@link TunnelExchange#judge}. Every other connection is judged by {@link HttpFuzzOracle}; every round of
 * {@value HttpFuzzRound#CONNECTIONS} connections must leave no session, no internal error and no block, VConn, pair
 * or socket behind.
 *
 * <ul>
 *   <li>{@code -Dvconn.fuzz.seed=N} replays the round holding case N and prints that case, its requests, its
 *       client's events and what it read;</li>
 *   <li>{@code -Dvconn.fuzz.count=M} runs rounds until at least M requests were written (default 100,000), from
 *       {@code -Dvconn.fuzz.base} (default {@value #BASE_SEED_HEX});</li>
 *   <li>{@code -Dvconn.fuzz.show=S} prints every case whose client got status S.</li>
 * </ul>
 */
class HttpFuzzTest {
    static final long BASE_SEED = 0xF0220000L;
    static final String BASE_SEED_HEX = "0xF0220000";
    static final int DEFAULT_COUNT = 100_000;
    static final String REPLAY = "./mvnw -B -pl adapters-inmemory -am test -Dtest=HttpFuzzTest "
            + "-Dsurefire.failIfNoSpecifiedTests=false -Dvconn.fuzz.seed=";

    @Test
    void fuzzed_requests_end_in_well_formed_responses_or_a_close_and_leave_nothing_behind() {
        Long only = Long.getLong("vconn.fuzz.seed");
        long base = Long.getLong("vconn.fuzz.base", BASE_SEED);
        if (only != null) {
            replay(base, only);
            return;
        }
        int count = Integer.getInteger("vconn.fuzz.count", DEFAULT_COUNT);
        BlockPool pool = new BlockPool();
        List<HttpFuzzRound.Result> bad = new ArrayList<>();
        Map<HttpFuzzCase.Expect, Integer> kinds = new EnumMap<>(HttpFuzzCase.Expect.class);
        Map<HttpFuzzCase.Via, Integer> vias = new EnumMap<>(HttpFuzzCase.Via.class);
        Map<Integer, Integer> statuses = new TreeMap<>();
        long[] coverage = new long[HttpFuzzRound.Cov.values().length];
        long requests = 0;
        long connections = 0;
        long rounds = 0;
        long virtualNanos = 0;
        long started = System.nanoTime();
        long cpuStarted = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        for (long round = 0; requests < count && bad.size() < 5; round++) {
            HttpFuzzRound.Result r = HttpFuzzRound.run(base, round, pool, -1, HttpFuzzRound.Plant.NONE);
            rounds++;
            requests += r.requests();
            connections += r.cases().size();
            virtualNanos += r.virtualNanos();
            for (HttpFuzzCase c : r.cases()) {
                kinds.merge(c.expect, 1, Integer::sum);
                vias.merge(c.via, 1, Integer::sum);
            }
            for (int k = 0; k < coverage.length; k++) {
                coverage[k] += r.coverage()[k];
            }
            for (int s = 0; s < r.statuses().length; s++) {
                if (r.statuses()[s] > 0) {
                    statuses.merge(s, r.statuses()[s], Integer::sum);
                }
            }
            if (!r.ok()) {
                bad.add(r);
                pool = new BlockPool(); // a failed round may have left blocks out: start the next one clean
            }
        }
        long ms = (System.nanoTime() - started) / 1_000_000;
        long cpuMs = (java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpuStarted)
                / 1_000_000;
        System.out.printf("vconn http fuzz: %d requests on %d connections in %d rounds from %d in %d ms "
                + "(%d ms of CPU, %.0f requests/s), %.1f s of virtual time%n  kinds %s%n  via %s%n  final statuses %s%n"
                + "  paths taken %s%n", requests, connections, rounds, base, ms, cpuMs,
                requests * 1000.0 / Math.max(1, ms), virtualNanos / 1e9, kinds, vias, statuses, covered(coverage));
        if (!bad.isEmpty()) {
            fail(report(bad.get(0)) + "\n" + bad.size() + " bad round(s) (the run stops at 5)");
        }
        assertTrue(requests >= count);
        if (count >= DEFAULT_COUNT) {
            for (HttpFuzzRound.Cov c : HttpFuzzRound.Cov.values()) {
                assertTrue(coverage[c.ordinal()] > 0, "the fuzz never took path " + c);
            }
            assertTrue(coverage[HttpFuzzRound.Cov.ORIGIN_CONNECTIONS.ordinal()]
                    < coverage[HttpFuzzRound.Cov.ORIGIN_REQUESTS.ordinal()], "origin connections were never reused");
        }
        for (int s : List.of(200, 400, 408, 414, 417, 431, 501, 505)) {
            assertTrue(statuses.containsKey(s) || count < DEFAULT_COUNT,
                    "the fuzz never produced a " + s + ": the generator no longer reaches it");
        }
    }

    private static Map<HttpFuzzRound.Cov, Long> covered(long[] coverage) {
        Map<HttpFuzzRound.Cov, Long> m = new EnumMap<>(HttpFuzzRound.Cov.class);
        for (HttpFuzzRound.Cov c : HttpFuzzRound.Cov.values()) {
            m.put(c, coverage[c.ordinal()]);
        }
        return m;
    }

    /** Replays the round holding {@code seed} and prints that case in full. */
    private static void replay(long base, long seed) {
        long round = Math.floorDiv(seed - base, HttpFuzzRound.CONNECTIONS);
        HttpFuzzRound.Result r = HttpFuzzRound.run(base, round, new BlockPool(), seed, HttpFuzzRound.Plant.NONE);
        for (HttpFuzzRound.Failure f : r.failures()) {
            if (f.c().seed == seed) {
                System.out.println("vconn http fuzz, " + f.c().describe());
                for (int i = 0; i < f.c().requests.size(); i++) {
                    System.out.println("  request " + i + ":\n      "
                            + HttpFuzzCase.Printable.show(f.c().requests.get(i).bytes()));
                }
                f.trace().forEach(line -> System.out.println("  " + line));
                System.out.println("  received:\n      " + HttpFuzzCase.Printable.show(f.received()));
                System.out.println("  violations: " + f.violations());
            }
        }
        boolean caseFailed = r.failures().stream().anyMatch(f -> f.c().seed == seed && !f.violations().isEmpty());
        if (caseFailed || !r.problems().isEmpty()) {
            fail(report(r));
        }
    }

    static String report(HttpFuzzRound.Result r) {
        StringBuilder sb = new StringBuilder("http fuzz round ").append(r.round()).append(" (cases ")
                .append(r.cases().get(0).seed).append("..").append(r.cases().get(r.cases().size() - 1).seed)
                .append(") failed");
        for (String p : r.problems()) {
            sb.append("\n  round: ").append(p);
        }
        List<HttpFuzzRound.Failure> real = r.failures().stream().filter(f -> !f.violations().isEmpty()).toList();
        for (HttpFuzzRound.Failure f : real.subList(0, Math.min(3, real.size()))) {
            sb.append("\n  case ").append(f.c().describe()).append("\n    violations: ").append(f.violations())
                    .append("\n    received: ").append(HttpFuzzCase.Printable.show(f.received()))
                    .append("\n    replay: ").append(REPLAY).append(f.c().seed);
        }
        if (real.size() > 3) {
            sb.append("\n  ").append(real.size() - 3).append(" more failing case(s) in this round");
        }
        if (real.isEmpty()) {
            sb.append("\n  replay: ").append(REPLAY).append(r.cases().get(0).seed);
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------------------- the oracle can fail

    /** The first case from the base seed that is one plain HTTP/1.1 GET for {@code /i/len/N} with N > 0. */
    private static HttpFuzzCase plainGet() {
        for (long s = BASE_SEED; ; s++) {
            HttpFuzzCase c = new HttpFuzzCase(s);
            if (c.expect == HttpFuzzCase.Expect.EXACT && c.requests.size() == 1 && c.end == HttpFuzzCase.End.WAIT) {
                String req = HttpWire.text(c.requests.get(0).bytes());
                if (req.startsWith("GET /i/len/") && req.contains(" HTTP/1.1\r\n") && !req.contains("close")
                        && c.requests.get(0).bodyLength() > 10) {
                    return c;
                }
            }
        }
    }

    private static List<String> judge(HttpFuzzCase c, String response, boolean eos) {
        return HttpFuzzOracle.judge(c, new HttpFuzzOracle.Seen(HttpWire.bytes(response), eos, false, false, null))
                .violations();
    }

    @Test
    void the_oracle_accepts_a_correct_response_and_rejects_each_planted_fault() {
        HttpFuzzCase c = plainGet();
        int n = (int) c.requests.get(0).bodyLength();
        String body = HttpWire.text(HttpFuzzCase.PATTERN.bytes(0, n));
        String good = "HTTP/1.1 200 OK\r\nContent-Length: " + n + "\r\nVia: 1.1 vconn\r\n\r\n" + body;
        assertEquals(List.of(), judge(c, good, true), "the control: a correct response then EOS");

        Map<String, String> planted = new TreeMap<>();
        planted.put("body one byte short, then EOS", good.substring(0, good.length() - 1));
        planted.put("one body byte wrong", good.substring(0, good.length() - 1) + (char) (body.charAt(n - 1) ^ 1));
        planted.put("Content-Length and chunked", good.replace("Via:", "Transfer-Encoding: chunked\r\nVia:"));
        planted.put("a status the proxy may not send", good.replace("200 OK", "299 Odd"));
        planted.put("a bare LF line end", good.replace("OK\r\n", "OK\n"));
        planted.put("an error without Connection: close", "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        planted.put("a chunk that lies about its size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(n + 1) + "\r\n" + body + "\r\n0\r\n\r\n");
        planted.put("bytes after Connection: close", good.replace("Via:", "Connection: close\r\nVia:") + "HTTP/1.1");
        planted.put("two responses to one request", good + good);
        planted.put("an interim response other than 100", "HTTP/1.1 102 Processing\r\n\r\n" + good);
        planted.put("a conflicting second Content-Length", good.replace("Via:", "Content-Length: 3\r\nVia:"));
        for (Map.Entry<String, String> p : planted.entrySet()) {
            assertFalse(judge(c, p.getValue(), true).isEmpty(), "the oracle let through: " + p.getKey());
        }
        assertFalse(judge(c, good, false).isEmpty(), "the oracle let through a connection that never ended");
    }

    @Test
    void a_planted_bug_in_the_response_path_fails_a_fuzz_round() {
        for (HttpFuzzRound.Plant plant : List.of(HttpFuzzRound.Plant.SHORT_BODY,
                HttpFuzzRound.Plant.LENGTH_WITH_CHUNKED, HttpFuzzRound.Plant.FRAMING_DROPPED)) {
            // A plant that only some requests reach (a framing field named in Connection) may need a few rounds.
            long caught = 0;
            int rounds = 0;
            for (; rounds < 4 && caught == 0; rounds++) {
                HttpFuzzRound.Result r = HttpFuzzRound.run(BASE_SEED, rounds, new BlockPool(), -1, plant);
                caught = r.failures().stream().filter(f -> !f.violations().isEmpty()).count() + r.problems().size();
            }
            int tried = rounds;
            assertTrue(caught > 0, () -> plant + " went unnoticed in " + tried + " rounds of "
                    + HttpFuzzRound.CONNECTIONS + " connections");
        }
        HttpFuzzRound.Result control = HttpFuzzRound.run(BASE_SEED, 0, new BlockPool(), -1, HttpFuzzRound.Plant.NONE);
        assertTrue(control.ok(), () -> "the same round without a plant must pass: " + report(control));
    }
}
