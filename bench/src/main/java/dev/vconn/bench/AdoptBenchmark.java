package dev.vconn.bench;

import dev.vconn.bench.support.BenchTransports;
import dev.vconn.bench.support.Gate;
import dev.vconn.bench.support.SocketPairs;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.VConn;
import dev.vconn.ports.AdoptionException;
import dev.vconn.ports.SocketAdopter;
import dev.vconn.ports.Transport;
import java.io.IOException;
import java.time.Duration;
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
 * {@code socketAdopter().adopt(channel)} ({@code TSVConnFdCreate}) followed by {@code close()}, per transport. Each
 * iteration is one timed batch of {@value #PAIRS} adopt/close cycles over socket pairs connected before it (in the
 * iteration's setup, so connect and accept are not measured); the score is the time per cycle. The batch runs as one
 * task on the loop the VConns are pinned to, as a plugin adopts on its event thread, and ends when that loop has
 * also run the closes' release work; the benchmark thread waits once per batch.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 10, batchSize = 1)
@Measurement(iterations = 20, batchSize = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class AdoptBenchmark {
    /** Adopt/close cycles per timed batch. */
    public static final int PAIRS = 500;

    /** The transport whose adopter is measured. */
    @Param({"nio", "netty", "inmemory"})
    public String transport;

    private Transport t;
    private SocketAdopter adopter;
    private EventLoop loop;
    private SocketPairs pairs;
    private final Gate gate = new Gate();
    private int adopted;
    private String failure;

    /** Opens the transport and finds the loop adopted sockets go to (Netty puts JDK channels on an NIO loop). */
    @Setup(Level.Trial)
    public void setUpTrial() throws IOException, AdoptionException {
        t = BenchTransports.open(transport);
        adopter = t.socketAdopter();
        try (SocketPairs probe = SocketPairs.make(t, 1)) {
            VConn vc = adopter.adopt(probe.toAdopt(0));
            loop = vc.eventLoop();
            vc.close();
            BenchTransports.settle(loop);
        }
    }

    /** Connects this iteration's pairs (not timed). */
    @Setup(Level.Iteration)
    public void connect() throws IOException {
        pairs = SocketPairs.make(t, PAIRS);
        adopted = 0;
        failure = null;
    }

    /** Adopts and closes every pair's accepted end on the loop. */
    @Benchmark
    @OperationsPerInvocation(PAIRS)
    public void adoptAndClose() {
        BenchTransports.runBatch(loop, this::batch, gate);
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
    }

    private void batch() {
        try {
            for (int i = 0; i < pairs.size(); i++) {
                VConn vc = adopter.adopt(pairs.toAdopt(i));
                adopted++;
                vc.close();
            }
        } catch (AdoptionException e) {
            failure = "adoption failed: " + e.getMessage();
        }
        // Queued behind the release work the closes posted, so the batch ends when the loop has done it.
        loop.execute(gate::open);
    }

    /** Closes the client ends and checks that every adopted VConn was released. */
    @TearDown(Level.Iteration)
    public void disconnect() {
        pairs.closeUnadopted(adopted);
        pairs.close();
        BenchTransports.await(t, () -> t.openResources().isEmpty(), Duration.ofSeconds(10),
                "every adopted VConn to be released");
    }

    /** Closes the transport. */
    @TearDown(Level.Trial)
    public void tearDownTrial() {
        t.close();
    }
}
