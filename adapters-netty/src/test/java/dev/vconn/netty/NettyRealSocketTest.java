package dev.vconn.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.Transport;
import dev.vconn.ports.TransportConfig;
import dev.vconn.ports.Transports;
import dev.vconn.ports.contract.EchoLoad;
import dev.vconn.ports.contract.RealSocketHarness;
import io.netty.channel.epoll.Epoll;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * Netty-specific real-socket tests; load, cycles and peer reset run for every transport in the kit's
 * {@code ScaleContract} ({@link NettyScaleTest}, {@link NettyNioScaleTest}).
 */
class NettyRealSocketTest {
    static {
        LeakRecorder.install();
    }

    @Test
    void the_transport_is_found_by_name_and_runs_epoll_on_linux() {
        assertTrue(Epoll.isAvailable(), () -> "the native epoll transport loads here: " + Epoll.unavailabilityCause());
        try (Transport t = Transports.load("netty", TransportConfig.defaults().withEventLoops(1))) {
            assertEquals("netty", t.name());
            assertEquals(IoKind.EPOLL, ((NettyTransport) t).ioKind());
            assertEquals(2, t.eventLoops().size(), "one epoll loop and one NIO loop for adopted JDK channels");
        }
        try (NettyTransport t = new NettyTransport(TransportConfig.defaults().withEventLoops(1),
                NettyOptions.defaults().withForceNio(true))) {
            assertEquals(IoKind.NIO, t.ioKind());
            assertEquals(1, t.eventLoops().size(), "on NIO the same loops carry adopted channels");
        }
    }

    @ParameterizedTest
    @EnumSource(IoKind.class)
    void with_a_heap_block_pool_fifty_connections_echo_256_kib_through_the_copying_path(IoKind kind)
            throws Exception {
        int socketsAtStart = RealSocketHarness.openSocketDescriptors();
        BlockPool pool = BlockPool.heap();
        NettyTransport transport = new NettyTransport(TransportConfig.defaults().withEventLoops(2).withBlockPool(pool),
                NettyOptions.defaults().withForceNio(kind == IoKind.NIO));
        try {
            assertEquals(kind, transport.ioKind());
            EchoLoad load = new EchoLoad(transport, pool, 256 * 1024);
            try (NetAcceptor.Listener listener =
                    load.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                load.connect(listener.localAddress(), 50);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (load.finished() < 50 && System.nanoTime() < deadline) {
                    RealSocketHarness.roundTrip(transport.eventLoops());
                }
            }
            assertEquals(50, load.finished());
            assertEquals(List.of(), load.failures());
        } finally {
            transport.close();
        }
        assertEquals(0, pool.outstanding(), () -> "blocks left: " + pool);
        assertEquals(List.of(), transport.openResources());
        assertTrue(RealSocketHarness.openSocketDescriptors() <= socketsAtStart, "sockets back to baseline");
    }
}
