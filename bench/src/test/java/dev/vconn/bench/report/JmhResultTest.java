package dev.vconn.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JmhResultTest {
    /** Trimmed from a real {@code -rf json} file of this suite (JMH 1.37 writes NaN errors as strings). */
    static final String SAMPLE = """
            [
                {
                    "jmhVersion" : "1.37",
                    "benchmark" : "dev.vconn.bench.VConnThroughputBenchmark.transfer",
                    "mode" : "thrpt",
                    "threads" : 1,
                    "forks" : 1,
                    "jvmArgs" : ["-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"],
                    "jdkVersion" : "17.0.15",
                    "vmName" : "OpenJDK 64-Bit Server VM",
                    "params" : { "impl" : "vconn", "transport" : "nio" },
                    "primaryMetric" : {
                        "score" : 2674.139,
                        "scoreError" : 12.5,
                        "scoreConfidence" : [2661.6, 2686.6],
                        "scoreUnit" : "ops/s",
                        "rawData" : [[2674.139]]
                    },
                    "secondaryMetrics" : {
                        "gc.alloc.rate" : { "score" : 18.6, "scoreError" : "NaN", "scoreUnit" : "MB/sec" },
                        "gc.alloc.rate.norm" : { "score" : 7332.885, "scoreError" : "NaN", "scoreUnit" : "B/op" }
                    }
                },
                {
                    "jmhVersion" : "1.37",
                    "benchmark" : "dev.vconn.bench.PairThroughputBenchmark.memcpy",
                    "mode" : "thrpt",
                    "params" : { "size" : "4096" },
                    "primaryMetric" : { "score" : 101936.2, "scoreError" : "NaN", "scoreUnit" : "ops/s" },
                    "secondaryMetrics" : { }
                }
            ]
            """;

    @Test
    void reads_benchmark_params_scores_and_allocation() {
        List<JmhResult> rows = JmhResult.parse(SAMPLE);
        assertEquals(2, rows.size());
        JmhResult t = rows.get(0);
        assertEquals("VConnThroughputBenchmark", t.className());
        assertEquals("transfer", t.method());
        assertEquals("thrpt", t.mode());
        assertEquals(Map.of("impl", "vconn", "transport", "nio"), t.params());
        assertEquals(2674.139, t.score());
        assertEquals(12.5, t.error());
        assertEquals("ops/s", t.unit());
        assertEquals(7332.885, t.allocNorm());
        assertEquals("OpenJDK 64-Bit Server VM 17.0.15", t.jdk());
        assertEquals("1.37", t.jmhVersion());
    }

    @Test
    void missing_values_read_as_nan_or_empty() {
        JmhResult m = JmhResult.parse(SAMPLE).get(1);
        assertTrue(Double.isNaN(m.error()), "NaN error");
        assertTrue(Double.isNaN(m.allocNorm()), "no gc profiler output");
        assertEquals("", m.param("transport"));
        assertEquals("4096", m.param("size"));
    }

    @Test
    void an_empty_file_has_no_results() {
        assertEquals(List.of(), JmhResult.parse(" \n"));
    }
}
