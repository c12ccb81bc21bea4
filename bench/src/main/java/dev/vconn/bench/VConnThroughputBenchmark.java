package dev.vconn.bench;

import dev.vconn.bench.baseline.RawNioLoopback;
import dev.vconn.bench.baseline.netty.RawNettyLoopback;
import dev.vconn.bench.support.BulkPipe;
import dev.vconn.bench.support.VConnLoopback;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Bulk bytes over loopback TCP: socket VConns ({@code impl=vconn}) against the raw baseline of the same transport
 * ({@code impl=raw}: a hand-written selector loop for {@code nio}, a plain Netty pipeline for {@code netty}), all
 * in one run. One operation is one MiB received, so the score reads as MiB/s and {@code gc.alloc.rate.norm} as
 * bytes allocated per MiB moved (every thread counted). Each invocation moves {@value #BATCH_MIB} MiB through one
 * long-lived connection; the benchmark thread waits once per batch, the I/O runs on one loop thread.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class VConnThroughputBenchmark {
    /** MiB per invocation: large enough that the one wake-up per batch is noise (about 0.1%). */
    public static final int BATCH_MIB = 64;

    /** The transport (and, for {@code raw}, which library the baseline uses). */
    @Param({"nio", "netty"})
    public String transport;

    /** {@code vconn}: socket VConns; {@code raw}: the raw baseline of the same transport. */
    @Param({"vconn", "raw"})
    public String impl;

    private BulkPipe pipe;

    /** Connects the pair for the whole trial. */
    @Setup(Level.Trial)
    public void setUp() throws Exception {
        pipe = switch (impl) {
            case "vconn" -> new VConnLoopback(transport);
            case "raw" -> switch (transport) {
                case "nio" -> new RawNioLoopback();
                case "netty" -> new RawNettyLoopback();
                default -> throw new IllegalArgumentException("no raw baseline for transport " + transport);
            };
            default -> throw new IllegalArgumentException("impl must be vconn or raw, was " + impl);
        };
    }

    /** Moves one batch. */
    @Benchmark
    @OperationsPerInvocation(BATCH_MIB)
    public void transfer() {
        pipe.transfer((long) BATCH_MIB << 20);
    }

    /** Closes the pair and the transport. */
    @TearDown(Level.Trial)
    public void tearDown() {
        pipe.close();
    }
}
