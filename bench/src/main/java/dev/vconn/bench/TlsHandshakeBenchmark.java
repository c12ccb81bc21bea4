package dev.vconn.bench;

import dev.vconn.bench.baseline.RawTlsNioLoopback;
import dev.vconn.bench.support.BenchTls;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.domain.pair.VConnPair;
import dev.vconn.domain.tls.TlsContext;
import dev.vconn.domain.tls.TlsSessionInfo;
import dev.vconn.domain.tls.TlsVConn;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The CPU cost of one full TLS handshake, both sides, on one thread and without sockets: a {@code TlsVConn} client
 * and server over an in-process pair on a virtual-time loop that the benchmark thread runs, delegated tasks inline
 * ({@code impl=vconn}), against two bare {@code SSLEngine}s handing their records to each other ({@code impl=raw}).
 * Same key (EC P-256, self-signed), protocol and suite as {@link TlsThroughputBenchmark}; no session resumption.
 * One op is one handshake of both sides; vconn's op also closes both VConns (with close_notify) and frees the pair.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class TlsHandshakeBenchmark {
    /** {@code vconn}: TlsVConn over a pair; {@code raw}: two SSLEngines. */
    @Param({"vconn", "raw"})
    public String impl;

    private final VirtualTimeEventLoop loop = new VirtualTimeEventLoop();
    private final BlockPool pool = new BlockPool();
    private TlsContext client;
    private TlsContext server;
    private SSLContext rawContext;

    /** Builds the contexts once, as a server does. */
    @Setup(Level.Trial)
    public void setUp() {
        client = BenchTls.clientContext(Runnable::run);
        server = BenchTls.serverContext(Runnable::run);
        rawContext = BenchTls.rawContext();
    }

    /** One handshake. */
    @Benchmark
    public Object handshake() throws SSLException {
        if (impl.equals("raw")) {
            var c = BenchTls.rawEngine(rawContext, true);
            var s = BenchTls.rawEngine(rawContext, false);
            RawTlsNioLoopback.handshakeInMemory(c, s);
            return c.getSession();
        }
        VConnPair pair = VConnPair.open(loop, VConnPair.Options.defaults());
        TlsVConn c = TlsVConn.client(pair.active(), client, pool, BenchTls.HOST, 443);
        TlsVConn s = TlsVConn.server(pair.passive(), server, pool);
        s.startHandshake();
        CompletableFuture<TlsSessionInfo> done = c.startHandshake();
        loop.runUntilIdle();
        TlsSessionInfo info = done.getNow(null);
        if (info == null) {
            throw new IllegalStateException("the handshake did not finish: " + c + " / " + s);
        }
        c.close();
        s.close();
        loop.runUntilIdle();
        return info;
    }

    /** Every block is back in the pool: the benchmark leaks nothing. */
    @TearDown(Level.Trial)
    public void tearDown() {
        if (pool.outstanding() != 0) {
            throw new IllegalStateException(pool.outstanding() + " blocks outstanding after the handshakes");
        }
    }
}
