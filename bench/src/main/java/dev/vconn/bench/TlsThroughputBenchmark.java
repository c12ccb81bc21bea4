package dev.vconn.bench;

import dev.vconn.bench.baseline.RawTlsNioLoopback;
import dev.vconn.bench.support.BulkPipe;
import dev.vconn.bench.support.TlsVConnLoopback;
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
 * Bulk plaintext through TLS over loopback TCP on nio: a {@code TlsVConn} client and server over socket VConns
 * ({@code impl=vconn}) against a raw {@code SSLEngine} + {@code SocketChannel} selector loop ({@code impl=raw}), in
 * one run, with the same protocol and cipher suite ({@code TLSv1.3}, {@code TLS_AES_128_GCM_SHA256}), full 16 KiB
 * records, direct buffers and one I/O thread. One operation is one MiB of plaintext received, so the score reads as
 * MiB/s and {@code gc.alloc.rate.norm} as bytes allocated per MiB (every thread counted). The handshake happens once
 * per trial, in the set-up.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class TlsThroughputBenchmark {
    /** MiB per invocation: TLS moves about a tenth of plain TCP's rate, so a smaller batch than plain TCP's. */
    public static final int BATCH_MIB = 16;

    /** {@code vconn}: TlsVConn over socket VConns; {@code raw}: SSLEngine over SocketChannels. */
    @Param({"vconn", "raw"})
    public String impl;

    private BulkPipe pipe;

    /** Connects the pair and runs the handshake, once for the whole trial. */
    @Setup(Level.Trial)
    public void setUp() throws Exception {
        pipe = switch (impl) {
            case "vconn" -> new TlsVConnLoopback("nio");
            case "raw" -> new RawTlsNioLoopback();
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
