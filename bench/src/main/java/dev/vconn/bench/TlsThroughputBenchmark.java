package dev.vconn.bench;

import dev.vconn.bench.baseline.RawTlsLoopback;
import dev.vconn.bench.support.BenchCertificate;
import dev.vconn.bench.support.BulkPipe;
import dev.vconn.bench.support.TlsLoopback;
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
 * TLS bulk throughput over loopback TCP on the nio transport: a {@code TlsVConn} pair over socket VConns
 * ({@code impl=vconn}) against a hand-written JDK {@code SSLEngine} + {@code SocketChannel} selector loop
 * ({@code impl=raw}), in one run, same JDK defaults (TLS 1.3, its default cipher suite). One operation is one MiB of
 * plaintext received, so the score reads as MiB/s. The handshake happens at setup and is not measured.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class TlsThroughputBenchmark {
    /** MiB per invocation. */
    public static final int BATCH_MIB = 32;

    /** {@code vconn}: TLS VConns on the nio transport; {@code raw}: the raw SSLEngine baseline. */
    @Param({"vconn", "raw"})
    public String impl;

    private BulkPipe pipe;

    /** Makes a throwaway certificate and connects the pair (handshake included) for the whole trial. */
    @Setup(Level.Trial)
    public void setUp() throws Exception {
        BenchCertificate certificate = BenchCertificate.selfSigned();
        pipe = switch (impl) {
            case "vconn" -> new TlsLoopback("nio", certificate);
            case "raw" -> new RawTlsLoopback(certificate);
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
