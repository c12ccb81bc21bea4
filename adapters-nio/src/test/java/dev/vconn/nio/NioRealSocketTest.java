package dev.vconn.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.VConn;
import dev.vconn.nio.internal.NioEventLoop;
import dev.vconn.nio.internal.NioSocketVConn;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.Transport;
import dev.vconn.ports.TransportConfig;
import dev.vconn.ports.Transports;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * nio-specific tests; load, cycles and peer reset run for every transport in the kit's {@code ScaleContract}
 * ({@link NioScaleTest}).
 */
class NioRealSocketTest {
    @Test
    void the_transport_is_found_by_name() {
        try (Transport t = Transports.load("nio", TransportConfig.defaults().withEventLoops(1))) {
            assertEquals("nio", t.name());
            assertEquals(1, t.eventLoops().size());
        }
    }

    @Test
    void posting_from_a_foreign_thread_coalesces_selector_wakeups() throws Exception {
        NioEventLoop loop = new NioEventLoop("wakeup-test");
        try {
            CountDownLatch ran = new CountDownLatch(10_000);
            for (int i = 0; i < 10_000; i++) {
                loop.execute(ran::countDown);
            }
            assertTrue(ran.await(10, TimeUnit.SECONDS));
            assertTrue(loop.wakeups() <= loop.rounds() + 1,
                    "one wakeup per loop round at most: " + loop.wakeups() + " wakeups, " + loop.rounds() + " rounds");
            assertTrue(loop.wakeups() < 10_000, "wakeups were coalesced: " + loop.wakeups());
        } finally {
            loop.shutdown(Duration.ofSeconds(5));
        }
    }

    @Test
    void socket_options_apply_to_connected_and_accepted_sockets() throws Exception {
        for (NioSocketOptions options : new NioSocketOptions[] {
                new NioSocketOptions(true, true), new NioSocketOptions(false, false)}) {
            try (NioTransport transport = new NioTransport(TransportConfig.defaults().withEventLoops(1), options)) {
                AtomicReference<VConn> accepted = new AtomicReference<>();
                AtomicReference<Object> connected = new AtomicReference<>();
                try (NetAcceptor.Listener listener = transport.netAcceptor().listen(
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                        new Continuation((e, d) -> accepted.set((VConn) d)))) {
                    transport.netConnector().connect(new Continuation((e, d) -> connected.set(e == Event.NET_CONNECT
                            ? d : e)), listener.localAddress());
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    while ((accepted.get() == null || connected.get() == null) && System.nanoTime() < deadline) {
                        Thread.onSpinWait();
                    }
                }
                for (VConn vc : new VConn[] {accepted.get(), (VConn) connected.get()}) {
                    var channel = ((NioSocketVConn) vc).channel();
                    assertEquals(options.tcpNoDelay(), channel.getOption(StandardSocketOptions.TCP_NODELAY));
                    assertEquals(options.keepAlive(), channel.getOption(StandardSocketOptions.SO_KEEPALIVE));
                    vc.close();
                }
            }
        }
    }
}
