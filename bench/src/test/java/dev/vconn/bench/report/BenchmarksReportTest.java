package dev.vconn.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchmarksReportTest {
    private static final BenchmarksReport.RunInfo RUN =
            new BenchmarksReport.RunInfo("2025-01-01 00:00 UTC", "2 CPUs (nproc), Test CPU", "Linux 6.1.0-test",
                    "OpenJDK 17.0.1", "9 min 30 s", "");

    private static JmhResult row(String cls, String method, Map<String, String> params, double score, double alloc) {
        return new JmhResult(cls, method, "thrpt", params, score, 1.0, "ops/s", alloc, "JDK 17", "1.37");
    }

    private static String render(List<JmhResult> rows, List<ScaleRow> scale) {
        return new BenchmarksReport(rows, scale, RUN).render();
    }

    @Test
    void throughput_ratios_come_from_the_same_run_and_decide_the_target() {
        List<JmhResult> rows = List.of(
                row("VConnThroughputBenchmark", "transfer", Map.of("transport", "nio", "impl", "raw"), 1000, 30),
                row("VConnThroughputBenchmark", "transfer", Map.of("transport", "nio", "impl", "vconn"), 950, 7000),
                row("VConnThroughputBenchmark", "transfer", Map.of("transport", "netty", "impl", "raw"), 900, 900),
                row("VConnThroughputBenchmark", "transfer", Map.of("transport", "netty", "impl", "vconn"), 800, 36000));
        String md = render(rows, List.of());
        assertTrue(md.contains("| nio | vconn | 950 | 1.00 | 7,000 | 0.95x | 0.95x |"), md);
        assertTrue(md.contains("| netty | vconn | 800 | 1.00 | 36,000 | 0.80x | 0.89x |"), md);
        assertTrue(md.contains("| VConnThroughputBenchmark | vconn >= 0.9x raw NIO | nio 0.95x; netty 0.80x | "
                + "not met |"), md);
    }

    @Test
    void tls_throughput_is_compared_with_the_raw_engine_of_the_same_run() {
        String md = render(List.of(
                row("TlsThroughputBenchmark", "transfer", Map.of("impl", "raw"), 400, 20),
                row("TlsThroughputBenchmark", "transfer", Map.of("impl", "vconn"), 380, 5000)), List.of());
        assertTrue(section(md, "TlsThroughputBenchmark").contains("| vconn | 380 | 1.00 | 5,000 | 0.95x |"), md);
        assertEquals(List.of("0.95x", "met"), targetMeasuredAndStatus(md, BenchmarksReport.TLS), md);
        String slow = render(List.of(
                row("TlsThroughputBenchmark", "transfer", Map.of("impl", "raw"), 400, 20),
                row("TlsThroughputBenchmark", "transfer", Map.of("impl", "vconn"), 300, 5000)), List.of());
        assertEquals(List.of("0.75x", "not met"), targetMeasuredAndStatus(slow, BenchmarksReport.TLS), slow);
        assertEquals(List.of(BenchmarksReport.NOT_MEASURED, BenchmarksReport.NOT_MEASURED),
                targetMeasuredAndStatus(render(List.of(), List.of()), BenchmarksReport.TLS));
    }

    @Test
    void pair_target_counts_the_configurations_that_meet_it() {
        List<JmhResult> rows = List.of(
                row("PairThroughputBenchmark", "memcpy", Map.of("size", "4096"), 100_000, 0),
                row("PairThroughputBenchmark", "memcpy", Map.of("size", "1048576"), 40_000, 0),
                row("PairThroughputBenchmark", "pair", Map.of("size", "4096", "transport", "inmemory", "sink", "copy"),
                        20_000, 1),
                row("PairThroughputBenchmark", "pair", Map.of("size", "1048576", "transport", "inmemory", "sink",
                        "copy"), 21_000, 1),
                row("PairThroughputBenchmark", "pair", Map.of("size", "4096", "transport", "inmemory", "sink",
                        "consume"), 60_000, 1));
        String md = render(rows, List.of());
        assertTrue(md.contains("| 4 KiB | inmemory | copy | 20,000 |"), md);
        assertTrue(md.contains("| 4 KiB | inmemory | consume | 60,000 | 1.00 | 1.00 | 100,000 | 0.60x |"), md);
        assertTrue(md.contains("| 1 MiB | inmemory | copy | 21,000 | 1.00 | 1.00 | 40,000 | 0.53x |"), md);
        // Judged on the byte[]-to-byte[] rows only: the consume row (0.60x) does not count.
        assertTrue(md.contains("| inmemory/4 KiB 0.20x; inmemory/1 MiB 0.53x | not met (1 of 2 configurations meet "
                + "it) |"), md);
    }

    @Test
    void zero_allocation_and_connection_memory_targets() {
        List<JmhResult> rows = List.of(
                row("IOBufferBenchmark", "writeThenConsume", Map.of("size", "1024"), 30, 0.01),
                row("IOBufferBenchmark", "zeroCopyThenConsume", Map.of("size", "1024"), 25, 48));
        List<ScaleRow> scale = List.of(
                new ScaleRow("netty", "read", 10_000, 40_000_000, 0, 0, 1_000_000, 20_000),
                new ScaleRow("nio", "read", 10_000, 30_000_000, 655_360_000, 655_360_000, 660_000_000, 20_000));
        String md = render(rows, scale);
        assertTrue(md.contains("| IOBufferBenchmark | 0 B/op in steady state | writeThenConsume/1 KiB 0.010 B; "
                + "zeroCopyThenConsume/1 KiB 48.00 B | not met (1 of 2 configurations meet it) |"), md);
        assertTrue(md.contains("| netty | read | 10,000 | 2,000 B | 0 B | 0 B | 50 B | 2,000 B | 4,000 B |"), md);
        assertTrue(md.contains("netty 2,000 B (10,000 conns); nio 34,268 B (10,000 conns) | not met (1 of 2"), md);
    }

    @Test
    void connections_that_carried_a_request_count_toward_the_connection_memory_target() {
        List<ScaleRow> scale = List.of(
                new ScaleRow("nio", "read", 1_000, 2_000_000, 0, 0, 0, 20_000),
                new ScaleRow("nio", "request", 1_000, 3_000_000, 65_536_000, 65_536_000, 0, 20_000));
        String md = render(List.of(), scale);
        assertTrue(md.contains("| nio | request | 1,000 | 1,500 B | 32,768 B | 32,768 B | 0 B | 34,268 B |"), md);
        assertTrue(md.contains(
                "nio 1,000 B (1,000 conns); nio after a request 34,268 B (1,000 conns) | not met (1 of 2"), md);
    }

    @Test
    void missing_benchmarks_say_not_measured_and_the_http_slot_is_there() {
        String empty = render(List.of(), List.of());
        for (String target : List.of(BenchmarksReport.THROUGHPUT, BenchmarksReport.PAIR, BenchmarksReport.IOBUFFER,
                BenchmarksReport.HTTP, "ConnectionScale")) {
            assertEquals(List.of(BenchmarksReport.NOT_MEASURED, BenchmarksReport.NOT_MEASURED),
                    targetMeasuredAndStatus(empty, target), target + " in\n" + empty);
        }
        assertTrue(section(empty, BenchmarksReport.HTTP).contains(BenchmarksReport.NOT_IN_RUN), empty);

        // The same report with only the HTTP benchmark in the results fills exactly that slot.
        String withHttp = render(List.of(
                row("HttpConnectBenchmark", "get", Map.of("transport", "nio", "path", "inprocess", "keepAlive", "true"),
                        200_000, 500),
                row("HttpConnectBenchmark", "get", Map.of("transport", "nio", "path", "loopback", "keepAlive", "true"),
                        15_000, 900)), List.of());
        assertEquals(List.of("nio keepAlive=true 13.33x", "met"),
                targetMeasuredAndStatus(withHttp, BenchmarksReport.HTTP), withHttp);
        assertFalse(section(withHttp, BenchmarksReport.HTTP).contains(BenchmarksReport.NOT_IN_RUN), withHttp);
        assertEquals(List.of(BenchmarksReport.NOT_MEASURED, BenchmarksReport.NOT_MEASURED),
                targetMeasuredAndStatus(withHttp, BenchmarksReport.THROUGHPUT), withHttp);
        assertTrue(section(withHttp, BenchmarksReport.THROUGHPUT).contains(BenchmarksReport.NOT_IN_RUN), withHttp);
    }

    @Test
    void every_run_is_described_and_every_table_names_the_run_its_figures_come_from() {
        BenchmarksReport.RunInfo earlier = new BenchmarksReport.RunInfo("2024-06-01 10:00 UTC", "2 CPUs (nproc), Old",
                "Linux 5.10.0-old", "OpenJDK 17.0.9", "7 min 00 s", "load 0.5");
        List<JmhResult> old = List.of(
                row("IOBufferBenchmark", "writeThenConsume", Map.of("size", "1024"), 30, 0.01),
                row("HttpConnectBenchmark", "get", Map.of("transport", "nio", "path", "inprocess", "keepAlive", "true"),
                        155_000, 500));
        List<JmhResult> rerun = List.of(
                row("HttpConnectBenchmark", "get", Map.of("transport", "nio", "path", "inprocess", "keepAlive", "true"),
                        55_000, 500));
        String md = BenchmarksReport.ofRuns(List.of(new BenchmarksReport.JmhRun(old, earlier),
                new BenchmarksReport.JmhRun(rerun, RUN)), List.of(), earlier).render();

        String runs = section(md, "Runs");
        assertTrue(runs.contains("### Run 1: HttpConnectBenchmark\n"), md);
        assertTrue(runs.contains("### Run 2 (earlier run): IOBufferBenchmark\n"), md);
        for (String fact : List.of("- date: 2025-01-01 00:00 UTC", "- kernel: Linux 6.1.0-test",
                "- JDK: OpenJDK 17.0.1", "- machine: 2 CPUs (nproc), Test CPU", "- kernel: Linux 5.10.0-old",
                "- note: load 0.5")) {
            assertTrue(runs.contains(fact + "\n"), fact + " in\n" + md);
        }
        String targets = section(md, "Targets");
        assertTrue(targets.lines().anyMatch(l -> l.startsWith("| IOBufferBenchmark |") && l.endsWith("| run 2 |")),
                targets);
        assertTrue(targets.lines().anyMatch(l -> l.startsWith("| HttpConnectBenchmark |") && l.endsWith("| run 1 |")),
                targets);
        // The re-run replaces the earlier run's HTTP figures; the other benchmark keeps its own run.
        String http = section(md, BenchmarksReport.HTTP);
        assertTrue(http.contains("Figures from run 1 (2025-01-01 00:00 UTC, Linux 6.1.0-test)."), http);
        assertTrue(http.contains("| 55,000 |"), http);
        assertFalse(http.contains("155,000"), http);
        assertTrue(section(md, BenchmarksReport.IOBUFFER)
                .contains("Figures from run 2 (2024-06-01 10:00 UTC, an earlier run, Linux 5.10.0-old)."), md);
    }

    @Test
    void a_recorded_run_reads_back_as_written(@TempDir Path dir) throws IOException {
        Path results = dir.resolve("jmh.json");
        BenchmarksReport.RunInfo run = new BenchmarksReport.RunInfo("2025-01-01 00:00 UTC",
                "2 CPUs (nproc), AMD EPYC, 23.5 GiB", "Linux 6.18.44-fc", "OpenJDK 64-Bit Server VM 17.0.15",
                "6 min 59 s", "load average (1/5/15 min) at start 0.84 1.02 1.67: a=b #c \\ ü");
        run.record(results);
        assertEquals(run, BenchmarksReport.RunInfo.of(results));
        assertEquals(BenchmarksReport.RunInfo.unknown(dir.resolve("other.json")),
                BenchmarksReport.RunInfo.of(dir.resolve("other.json")));
    }

    /** The "measured" and "status" cells of a target's row in the Targets table. */
    private static List<String> targetMeasuredAndStatus(String md, String target) {
        String row = section(md, "Targets").lines().filter(l -> l.startsWith("| " + target + " | ")).findFirst()
                .orElseThrow(() -> new AssertionError("no target row for " + target + " in\n" + md));
        String[] cells = row.substring(2, row.length() - 2).split(" \\| ", -1);
        return List.of(cells[2], cells[3]);
    }

    /** The text of the section whose {@code ## } heading starts with {@code name}, up to the next such heading. */
    private static String section(String md, String name) {
        int start = md.indexOf("## " + name);
        assertTrue(start >= 0, "no section " + name + " in\n" + md);
        int end = md.indexOf("\n## ", start + 1);
        return md.substring(start, end < 0 ? md.length() : end);
    }

    @Test
    void http_rows_are_paired_by_transport_and_keep_alive() {
        List<JmhResult> rows = List.of(
                row("HttpConnectBenchmark", "get", Map.of("transport", "nio", "path", "inprocess", "keepAlive", "true"),
                        200_000, 500),
                row("HttpConnectBenchmark", "get", Map.of("transport", "nio", "path", "loopback", "keepAlive", "true"),
                        15_000, 900));
        String md = render(rows, List.of());
        assertTrue(md.contains("| nio | true | 200,000 | 15,000 | ops/s | 500 | 900 | 13.33x |"), md);
        assertTrue(md.contains("| nio keepAlive=true 13.33x | met |"), md);
    }

    @Test
    void regenerating_keeps_the_hand_written_text_around_the_markers() {
        String initial = BenchmarksReport.merge(null, "old tables\n");
        assertTrue(initial.startsWith("# Benchmarks"), initial);
        String edited = initial.replace("_Explain here", "Profile says: blocks. _Explain here");
        String second = BenchmarksReport.merge(edited, "new tables\n");
        assertTrue(second.contains("new tables"), second);
        assertTrue(!second.contains("old tables"), second);
        assertTrue(second.contains("Profile says: blocks."), second);
        int first = second.indexOf(BenchmarksReport.BEGIN);
        assertEquals(-1, second.indexOf(BenchmarksReport.BEGIN, first + 1), "one generated region");
    }
}
