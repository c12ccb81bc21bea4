package dev.vconn.ports.contract;

import static dev.vconn.domain.Event.NET_CONNECT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.VConn;
import dev.vconn.domain.http.AccessLogRecord;
import dev.vconn.domain.http.HttpProxy;
import dev.vconn.domain.http.HttpProxyConfig;
import dev.vconn.domain.http.ProxyProtocolMode;
import dev.vconn.domain.http.ProxyProtocolStage;
import dev.vconn.domain.http.RemapRule;
import dev.vconn.ports.NetAcceptor;
import dev.vconn.ports.OriginConnectors;
import dev.vconn.ports.contract.HttpKitServer.Reply;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The PROXY protocol front stage ({@link ProxyProtocolStage}, docs/server.md "PROXY protocol") on the transport's
 * own listener: the header and the request arrive in one write, the stage's reads bounded by {@code nbytes} stop at
 * the header's last octet on this transport (docs/semantics.md, rule 3.3), so the HTTP session reads the request
 * from the connection and not from octets the stage took; the carried address is what the access log and
 * {@code X-Forwarded-For} at the origin see; a connection without a header is closed without a byte. The kit's
 * hygiene check follows each case: sessions closed, the block pool at zero, nothing left open.
 */
public abstract class ProxyProtocolContract extends TransportContract {
    private static final String REQUEST = "GET /pp HTTP/1.1\r\nHost: kit.test\r\n\r\n";

    private final List<AccessLogRecord> log = new CopyOnWriteArrayList<>();
    private final List<SocketAddress> handedAddresses = new CopyOnWriteArrayList<>();
    private final List<Boolean> handedWithOctets = new CopyOnWriteArrayList<>();

    private HttpKitServer origin() {
        HttpKitServer s = new HttpKitServer(transport.blockPool(), req -> Reply.ok("origin"));
        closeAfter(s::closeAll);
        checkAfter(s::failure);
        return s;
    }

    private HttpProxy proxy(NetAcceptor.Listener originListener) {
        InetSocketAddress a = (InetSocketAddress) originListener.localAddress();
        String host = a.getAddress().getHostAddress();
        String url = "http://" + (a.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + a.getPort()
                + "/";
        HttpProxy proxy = new HttpProxy(HttpProxyConfig.builder(transport.blockPool())
                .originConnector(OriginConnectors.of(transport.netConnector()))
                .remap(RemapRule.parse("http://kit.test/", url))
                .accessLog(log::add)
                .build());
        closeAfter(() -> {
            proxy.close();
            await("every session of the proxy closed", () -> proxy.openSessions() == 0);
        });
        return proxy;
    }

    /** The stage in front of {@code proxy}, recording what it hands on. */
    private ProxyProtocolStage stage(ProxyProtocolMode mode, HttpProxy proxy) {
        return new ProxyProtocolStage(mode, Duration.ofSeconds(30), transport.blockPool(), (vconn, rest, address) -> {
            handedAddresses.add(address);
            handedWithOctets.add(rest != null);
            proxy.accept(vconn, rest, address);
        });
    }

    private NetAcceptor.Listener listen(dev.vconn.domain.Continuation acceptor) throws IOException {
        return closeAfter(transport.netAcceptor().listen(harness.listenAddress(), acceptor));
    }

    private HttpKitClient connect(SocketAddress address) {
        Recorder connecting = recorder();
        transport.netConnector().connect(connecting.continuation(), address);
        await("NET_CONNECT to " + address, () -> connecting.count() > 0);
        assertEquals(NET_CONNECT, connecting.events().get(0),
                () -> "connect failed: " + connecting.entries().get(0).data());
        HttpKitClient c = new HttpKitClient((VConn) connecting.entries().get(0).data(), transport.blockPool());
        closeAfter(c);
        checkAfter(c::failure);
        return c;
    }

    private static byte[] v2(byte[] ipv4, int port) {
        byte[] h = new byte[28];
        byte[] sig = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
        System.arraycopy(sig, 0, h, 0, 12);
        h[12] = 0x21;
        h[13] = 0x11;
        h[15] = 12;
        System.arraycopy(ipv4, 0, h, 16, 4);
        h[20] = 127;
        h[23] = 1;
        h[24] = (byte) (port >> 8);
        h[25] = (byte) port;
        h[27] = 80;
        return h;
    }

    private void exchange(byte[] headerAndRequest, InetSocketAddress expected) throws Exception {
        HttpKitServer origin = origin();
        HttpProxy proxy = proxy(listen(origin.acceptor()));
        ProxyProtocolStage stage = stage(ProxyProtocolMode.ANY, proxy);
        NetAcceptor.Listener listener = listen(stage.acceptor());

        HttpKitClient c = connect(listener.localAddress()).reading();
        c.send(headerAndRequest);
        await("the response", () -> c.finalResponses().size() == 1 || c.eos() || c.failure() != null);
        assertNull(c.failure());
        assertEquals(200, c.finalResponses().get(0).status(), () -> "responses: " + c.responses());
        assertEquals(List.of(expected), handedAddresses);
        assertEquals(List.of(false), handedWithOctets, "the stage read nothing past the header");
        assertEquals(1, stage.accepted());
        await("the transaction logged", () -> log.size() == 1);
        assertEquals(expected, log.get(0).client(), "the access log sees the carried address");
        String host = expected.getAddress().getHostAddress();
        assertEquals(host, origin.requests().get(0).head().headers().get("X-Forwarded-For"));
    }

    @Test
    void a_version_1_header_and_the_request_in_one_write_reach_the_session_with_the_carried_address()
            throws Exception {
        exchange(("PROXY TCP4 203.0.113.9 127.0.0.1 41000 80\r\n" + REQUEST).getBytes(StandardCharsets.US_ASCII),
                new InetSocketAddress("203.0.113.9", 41000));
    }

    @Test
    void a_version_2_header_and_the_request_in_one_write_reach_the_session_with_the_carried_address()
            throws Exception {
        byte[] header = v2(new byte[] {(byte) 198, 51, 100, 77}, 42000);
        byte[] request = REQUEST.getBytes(StandardCharsets.US_ASCII);
        byte[] both = java.util.Arrays.copyOf(header, header.length + request.length);
        System.arraycopy(request, 0, both, header.length, request.length);
        exchange(both, new InetSocketAddress("198.51.100.77", 42000));
    }

    @Test
    void a_connection_without_a_header_is_closed_without_a_byte_and_counted() throws Exception {
        HttpProxy proxy = proxy(listen(origin().acceptor()));
        ProxyProtocolStage stage = stage(ProxyProtocolMode.ANY, proxy);
        NetAcceptor.Listener listener = listen(stage.acceptor());

        HttpKitClient c = connect(listener.localAddress()).reading();
        c.send(REQUEST);
        await("the connection closed", () -> c.eos() || c.readError());
        assertTrue(c.responses().isEmpty(), () -> "no response: " + c.responses());
        assertEquals(1, stage.rejected());
        assertTrue(handedAddresses.isEmpty());
        assertEquals(0, proxy.stats().snapshot().connections(), "no HTTP session started");
    }
}
