package dev.vconn.ports.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Event;
import dev.vconn.domain.VConn;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.BufferSizes;
import dev.vconn.domain.http.HttpProxy;
import dev.vconn.domain.http.HttpProxyConfig;
import dev.vconn.domain.http.RemapRule;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.OriginConnectors;
import dev.vconn.ports.contract.HttpKitServer.Reply;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * What an idle keep-alive connection holds (docs/semantics.md, "Block pool and what an idle connection holds"):
 * thousands of network clients each carry one request through the HTTP proxy to an origin on the same transport, then stay
 * connected and idle. Afterwards the transport's block pool must hold exactly what it held before they came
 * (outstanding blocks per size class), and the JVM's direct memory that is not cached by a pool must not have
 * grown: no block stays with a session, a pooled origin connection or a socket VConn, and no direct buffer is
 * allocated outside the pool. Nothing here calls {@code System.gc()}: memory that only a collection would return
 * is exactly what this looks for.
 *
 * <p>The kit's own clients and origin use a separate direct pool, whose blocks are counted as the kit's.
 */
public abstract class IdleMemoryContract extends TransportContract {
    private static final int CONNECTIONS = 2000;
    /** Connections in flight at once: few enough that the pool's cache absorbs their blocks (no block dropped). */
    private static final int WAVE = 25;
    private static final Duration LONG_WAIT = Duration.ofSeconds(60);
    private static final String REQUEST = "GET /app/item HTTP/1.1\r\nHost: kit.test\r\n\r\n";

    /** Direct memory as the JVM counts it, less what the pools hold outside any connection. */
    private record Memory(long[] outstandingPerClass, long unpooledDirectBytes, long unpooledDirectCount,
            long collections) {
    }

    @Test
    void idle_keep_alive_connections_after_a_request_each_hold_no_block_and_no_direct_memory() throws Exception {
        BlockPool kitPool = new BlockPool();
        HttpKitServer origin = new HttpKitServer(kitPool, req -> Reply.ok("hello from the origin"));
        closeAfter(origin::closeAll);
        checkAfter(origin::failure);
        NetAcceptor.Listener originListener = closeAfter(
                transport.netAcceptor().listen(harness.listenAddress(), origin.acceptor()));
        HttpProxy proxy = new HttpProxy(HttpProxyConfig.builder(transport.blockPool())
                .originConnector(OriginConnectors.of(transport.netConnector()))
                .remap(RemapRule.parse("http://kit.test/app/", url(originListener)))
                .accessLog(r -> { })
                .build());
        closeAfter(() -> {
            proxy.close();
            await("every session of the proxy closed", LONG_WAIT, () -> proxy.openSessions() == 0);
        });
        checkAfter(() -> proxy.stats().snapshot().internalErrors() == 0 ? null : "a session failed (see the log)");
        NetAcceptor.Listener proxyListener = closeAfter(
                transport.netAcceptor().listen(harness.listenAddress(), proxy.sessionAcceptor()));
        List<HttpKitClient> clients = new CopyOnWriteArrayList<>();
        closeAfter(() -> clients.forEach(HttpKitClient::close));

        // A first wave, closed again: classes, loops and the pool's cache settle before the baseline.
        List<HttpKitClient> warmUp = wave(proxyListener, kitPool, WAVE);
        warmUp.forEach(HttpKitClient::close);
        await("the warm-up sessions closed", LONG_WAIT, () -> proxy.openSessions() == 0);
        settle();
        Memory before = memory(kitPool);

        for (int opened = 0; opened < CONNECTIONS; opened += WAVE) {
            clients.addAll(wave(proxyListener, kitPool, WAVE));
        }
        assertEquals(CONNECTIONS, proxy.openSessions(), "every client connection stays open, idle");
        long[] baseline = before.outstandingPerClass();
        boolean back = harness.await(() -> Arrays.equals(baseline, outstandingPerClass()), WAIT);
        assertTrue(back, () -> "the block pool did not come back to what it held before the connections came ("
                + Arrays.toString(baseline) + " blocks per size class): " + CONNECTIONS + " idle connections hold "
                + Arrays.toString(outstandingPerClass()) + "; " + transport.blockPool().report());
        settle();
        Memory after = memory(kitPool);
        assertEquals(Arrays.toString(baseline), Arrays.toString(after.outstandingPerClass()),
                () -> CONNECTIONS + " idle connections hold blocks: " + transport.blockPool().report());
        assertEquals(CONNECTIONS, proxy.openSessions());
        // A collection during the run may free direct buffers of earlier tests (less, never more); without one the
        // figures must match exactly.
        String growth = "direct memory outside the pools grew by " + (after.unpooledDirectBytes()
                - before.unpooledDirectBytes()) + " bytes in " + (after.unpooledDirectCount()
                - before.unpooledDirectCount()) + " buffers with " + CONNECTIONS + " idle connections; pool: "
                + transport.blockPool().report();
        assertTrue(after.unpooledDirectBytes() <= before.unpooledDirectBytes(), growth);
        assertTrue(after.unpooledDirectCount() <= before.unpooledDirectCount(), growth);
        if (after.collections() == before.collections()) {
            assertEquals(before.unpooledDirectBytes(), after.unpooledDirectBytes(), growth);
            assertEquals(before.unpooledDirectCount(), after.unpooledDirectCount(), growth);
        }
        assertEquals(0, transport.blockPool().report().droppedBlocks(),
                "no block was dropped past the cache bound (which only a collection would return)");
    }

    /** {@code n} clients connected over the network, one request each, answered; they stay open and idle. */
    private List<HttpKitClient> wave(NetAcceptor.Listener proxyListener, BlockPool kitPool, int n) {
        List<Recorder> connecting = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Recorder r = new Recorder();
            transport.netConnector().connect(r.continuation(), proxyListener.localAddress());
            connecting.add(r);
        }
        await(n + " connects", LONG_WAIT, () -> connecting.stream().allMatch(r -> r.count() > 0));
        List<HttpKitClient> wave = new ArrayList<>();
        for (Recorder r : connecting) {
            assertEquals(Event.NET_CONNECT, r.events().get(0), () -> "connect failed: " + r.entries().get(0).data());
            HttpKitClient c = new HttpKitClient((VConn) r.entries().get(0).data(), kitPool).reading();
            c.send(REQUEST);
            wave.add(c);
        }
        await(n + " responses", LONG_WAIT, () -> wave.stream().allMatch(c -> c.finalResponses().size() == 1
                || c.failure() != null || c.eos()));
        for (HttpKitClient c : wave) {
            assertNull(c.failure());
            assertEquals(200, c.finalResponses().get(0).status(), () -> c.finalResponses().toString());
        }
        return wave;
    }

    private long[] outstandingPerClass() {
        long[] n = new long[BufferSizes.MAX_INDEX + 1];
        for (int i = 0; i < n.length; i++) {
            n[i] = transport.blockPool().outstanding(i);
        }
        return n;
    }

    private Memory memory(BlockPool kitPool) {
        BlockPool.Report pool = transport.blockPool().report();
        BlockPool.Report kit = kitPool.report();
        long bytes = 0;
        long count = 0;
        for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (b.getName().equals("direct")) {
                bytes = b.getMemoryUsed();
                count = b.getCount();
            }
        }
        long collections = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            collections += Math.max(0, gc.getCollectionCount());
        }
        long cachedBlocks = pool.direct() ? pool.cachedBlocks() : 0;
        long cachedBytes = pool.direct() ? pool.cachedBytes() : 0;
        return new Memory(outstandingPerClass(), bytes - cachedBytes - kit.cachedBytes() - kit.outstandingBytes(),
                count - cachedBlocks - kit.cachedBlocks() - kit.outstandingBlocks(), collections);
    }

    private static String url(NetAcceptor.Listener listener) {
        InetSocketAddress a = (InetSocketAddress) listener.localAddress();
        String host = a.getAddress().getHostAddress();
        return "http://" + (a.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + a.getPort()
                + "/";
    }
}
