/**
 * The JMH benchmarks of BENCHMARKS.md, each comparing vconn with a baseline in the same run: socket VConns against raw
 * java.nio and raw Netty over loopback ({@link dev.vconn.bench.VConnThroughputBenchmark}), the in-process pair
 * against {@code System.arraycopy} ({@link dev.vconn.bench.PairThroughputBenchmark}), IOBuffer operations
 * ({@link dev.vconn.bench.IOBufferBenchmark}) and socket adoption ({@link dev.vconn.bench.AdoptBenchmark}).
 * Run them with {@code java -jar bench/target/benchmarks.jar}, or the whole suite with {@code bench/run.sh}.
 */
package dev.vconn.bench;
