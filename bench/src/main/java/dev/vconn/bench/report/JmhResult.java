package dev.vconn.bench.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One row of a JMH run: a benchmark method with its parameters, its primary score, and the allocation per
 * operation that {@code -prof gc} adds ({@code gc.alloc.rate.norm}).
 *
 * @param className  the benchmark class's simple name, e.g. {@code VConnThroughputBenchmark}
 * @param method     the benchmark method, e.g. {@code transfer}
 * @param mode       JMH's mode: {@code thrpt}, {@code avgt}, {@code ss}, ...
 * @param params     the {@code @Param} values
 * @param score      the primary score
 * @param error      the 99.9% half-width, or NaN when JMH had too few samples
 * @param unit       the primary score's unit, e.g. {@code ops/s}
 * @param allocNorm  bytes allocated per operation, or NaN if the run had no {@code -prof gc}
 * @param jdk        the JDK that ran it, as JMH recorded it
 * @param jmhVersion JMH's version
 */
public record JmhResult(String className, String method, String mode, Map<String, String> params, double score,
                        double error, String unit, double allocNorm, String jdk, String jmhVersion) {

    /** The value of parameter {@code name}, or {@code ""} when this benchmark has no such parameter. */
    public String param(String name) {
        return params.getOrDefault(name, "");
    }

    /** Reads a JMH {@code -rf json} file. */
    public static List<JmhResult> read(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8));
    }

    /** Reads the text of a JMH {@code -rf json} file (an array of benchmark results; empty text means none). */
    public static List<JmhResult> parse(String json) {
        if (json.isBlank()) {
            return List.of();
        }
        List<JmhResult> out = new ArrayList<>();
        for (Object o : list(Json.parse(json), "the top level")) {
            Map<String, Object> r = map(o, "a result");
            String benchmark = string(r.get("benchmark"));
            int lastDot = benchmark.lastIndexOf('.');
            String qualifiedClass = benchmark.substring(0, Math.max(lastDot, 0));
            String simpleClass = qualifiedClass.substring(qualifiedClass.lastIndexOf('.') + 1);
            Map<String, String> params = new LinkedHashMap<>();
            if (r.get("params") instanceof Map<?, ?> p) {
                p.forEach((k, v) -> params.put(String.valueOf(k), String.valueOf(v)));
            }
            Map<String, Object> primary = map(r.get("primaryMetric"), "primaryMetric");
            double alloc = Double.NaN;
            if (r.get("secondaryMetrics") instanceof Map<?, ?> secondary
                    && secondary.get("gc.alloc.rate.norm") instanceof Map<?, ?> norm) {
                alloc = number(norm.get("score"));
            }
            String jdk = string(r.get("jdkVersion"));
            String vm = string(r.get("vmName"));
            out.add(new JmhResult(simpleClass, benchmark.substring(lastDot + 1), string(r.get("mode")),
                    Map.copyOf(params), number(primary.get("score")), number(primary.get("scoreError")),
                    string(primary.get("scoreUnit")), alloc, vm.isEmpty() ? jdk : vm + " " + jdk,
                    string(r.get("jmhVersion"))));
        }
        return out;
    }

    private static List<?> list(Object o, String what) {
        if (o instanceof List<?> l) {
            return l;
        }
        throw new IllegalArgumentException("JMH results: expected an array for " + what);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o, String what) {
        if (o instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        throw new IllegalArgumentException("JMH results: expected an object for " + what);
    }

    private static String string(Object o) {
        return o == null ? "" : o.toString();
    }

    /** A number, or NaN for a missing value or JMH's {@code "NaN"} string. */
    private static double number(Object o) {
        if (o instanceof Double d) {
            return d;
        }
        if (o instanceof String s) {
            try {
                return Double.parseDouble(s);
            } catch (NumberFormatException e) {
                return Double.NaN;
            }
        }
        return Double.NaN;
    }
}
