/**
 * Turns a {@code bench/run.sh} run into {@code BENCHMARKS.md}: a minimal JSON reader for JMH's {@code -rf json}
 * output ({@link dev.vconn.bench.report.Json}, JMH has no reading API), the results model
 * ({@link dev.vconn.bench.report.JmhResult}), and the generator ({@link dev.vconn.bench.report.BenchmarksReport}),
 * which rewrites only the generated region of the file and keeps the hand-written analysis around it.
 */
package dev.vconn.bench.report;
