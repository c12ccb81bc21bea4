package dev.vconn.bench;

import dev.vconn.bench.support.PairLoop;
import dev.vconn.bench.support.Sources;
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
 * Bytes through the in-process {@code VConnPair} against {@code System.arraycopy} of the same sizes. {@code pair}:
 * the writer appends {@code size}-byte arrays (a copy into pooled blocks; the pair itself moves blocks by
 * reference) and the reader either copies them into a {@code size}-byte array ({@code sink=copy}: byte array to
 * byte array, two copies in all, the like-for-like comparison) or consumes them in place ({@code sink=consume}: one
 * copy); {@code memcpy}: one {@code arraycopy} of {@code size} bytes per chunk. One operation is one MiB, so scores
 * read as MiB/s and
 * {@code gc.alloc.rate.norm} as bytes allocated per MiB. On {@code inmemory} the pair runs on the virtual-time loop
 * driven by the benchmark thread (no thread switch at all); on {@code nio} and {@code netty} on the transport's real
 * loop, with one wait per {@value #BATCH_MIB} MiB batch.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 4, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class PairThroughputBenchmark {
    /** MiB per invocation. */
    public static final int BATCH_MIB = 16;

    /** A pair on a transport's loop. */
    @State(Scope.Benchmark)
    public static class PairState {
        /** Whose loop runs the pair. */
        @Param({"inmemory", "nio", "netty"})
        public String transport;

        /** Bytes per application write and read. */
        @Param({"4096", "65536", "1048576"})
        public int size;

        /** {@code copy}: the reader copies into a byte array; {@code consume}: it consumes in place. */
        @Param({"copy", "consume"})
        public String sink;

        PairLoop pipe;

        /** Opens the pair for the trial. */
        @Setup(Level.Trial)
        public void setUp() {
            pipe = new PairLoop(transport, size, switch (sink) {
                case "copy" -> true;
                case "consume" -> false;
                default -> throw new IllegalArgumentException("sink must be copy or consume, was " + sink);
            });
        }

        /** Closes both ends and the transport. */
        @TearDown(Level.Trial)
        public void tearDown() {
            pipe.close();
        }
    }

    /** The arrays the baseline copies between (no transport: a copy is a copy). */
    @State(Scope.Benchmark)
    public static class CopyState {
        /** Bytes per copy, the same sizes as the pair's. */
        @Param({"4096", "65536", "1048576"})
        public int size;

        byte[] src;
        byte[] dst;

        /** Makes the arrays. */
        @Setup(Level.Trial)
        public void setUp() {
            src = Sources.pattern(size);
            dst = new byte[size];
        }
    }

    /** One batch through the pair. */
    @Benchmark
    @OperationsPerInvocation(BATCH_MIB)
    public void pair(PairState s) {
        s.pipe.transfer((long) BATCH_MIB << 20);
    }

    /** The same bytes by {@code System.arraycopy}, {@code size} at a time. */
    @Benchmark
    @OperationsPerInvocation(BATCH_MIB)
    public byte[] memcpy(CopyState s) {
        int chunks = (BATCH_MIB << 20) / s.size;
        for (int i = 0; i < chunks; i++) {
            System.arraycopy(s.src, 0, s.dst, 0, s.size);
        }
        return s.dst;
    }
}
