package dev.vconn.bench;

import dev.vconn.bench.support.BenchTls;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.domain.pair.VConnPair;
import dev.vconn.domain.tls.TlsContext;
import dev.vconn.domain.tls.TlsSessionInfo;
import dev.vconn.domain.tls.TlsVConn;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
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
 * Key: the benchmark-only self-signed EC P-256 certificate; TLS 1.3, {@code TLS_AES_128_GCM_SHA256} on both; no
 * session resumption.
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
            SSLEngine c = BenchTls.rawEngine(rawContext, true);
            SSLEngine s = BenchTls.rawEngine(rawContext, false);
            handshakeInMemory(c, s);
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

    /** Runs the handshake between two engines by handing their records over directly. */
    static void handshakeInMemory(SSLEngine client, SSLEngine server) throws SSLException {
        ByteBuffer toServer = ByteBuffer.allocate(64 * 1024);
        ByteBuffer toClient = ByteBuffer.allocate(64 * 1024);
        ByteBuffer app = ByteBuffer.allocate(64 * 1024);
        client.beginHandshake();
        server.beginHandshake();
        for (int i = 0; i < 1000; i++) {
            boolean moved = step(client, toClient, toServer, app) | step(server, toServer, toClient, app);
            if (!moved && idle(client) && idle(server) && toServer.position() == 0 && toClient.position() == 0) {
                return;
            }
        }
        throw new SSLException("the in-memory handshake did not finish");
    }

    private static boolean idle(SSLEngine e) {
        HandshakeStatus hs = e.getHandshakeStatus();
        return hs == HandshakeStatus.NOT_HANDSHAKING || hs == HandshakeStatus.FINISHED;
    }

    /** One step of {@code engine}: tasks, a wrap into {@code out} or an unwrap of {@code in}; whether it moved. */
    private static boolean step(SSLEngine engine, ByteBuffer in, ByteBuffer out, ByteBuffer app) throws SSLException {
        switch (engine.getHandshakeStatus()) {
            case NEED_TASK -> {
                for (Runnable t = engine.getDelegatedTask(); t != null; t = engine.getDelegatedTask()) {
                    t.run();
                }
                return true;
            }
            case NEED_WRAP -> {
                return engine.wrap(ByteBuffer.allocate(0), out).bytesProduced() > 0;
            }
            default -> {
                // NEED_UNWRAP, or post-handshake messages (TLS 1.3 session tickets) waiting while NOT_HANDSHAKING.
                if (in.position() == 0) {
                    return false;
                }
                in.flip();
                SSLEngineResult r = engine.unwrap(in, app);
                in.compact();
                app.clear();
                return r.bytesConsumed() > 0;
            }
        }
    }

    /** Every block is back in the pool: the benchmark leaks nothing. */
    @TearDown(Level.Trial)
    public void tearDown() {
        if (pool.outstanding() != 0) {
            throw new IllegalStateException(pool.outstanding() + " blocks outstanding after the handshakes");
        }
    }
}
