/**
 * The Netty transport: {@link dev.vconn.netty.NettyTransport}, found by {@code Transports.load("netty")}, on
 * Linux's native epoll where available and Netty's NIO otherwise. Netty stays an implementation detail: no Netty type
 * appears in an exported signature, so Netty's modules are required, not required transitively. Its channel VConns
 * and loops live in {@code dev.vconn.netty.internal}, which is not exported. The openssl TLS engine
 * ({@code OpenSslTlsEngineProvider}) is Netty's OpenSSL {@code SSLEngine} over netty-tcnative's BoringSSL.
 */
module dev.vconn.netty {
    exports dev.vconn.netty;

    // NettyTransport extends dev.vconn.ports.spi.AbstractTransport and speaks in domain types.
    requires transitive dev.vconn.ports;
    requires io.netty.common;
    requires io.netty.buffer;
    requires io.netty.transport;
    requires io.netty.transport.unix.common;
    requires io.netty.transport.classes.epoll;
    // The openssl TLS engine (OpenSslTlsEngineProvider): Netty's OpenSSL SSLEngine over netty-tcnative's BoringSSL.
    requires io.netty.handler;
    requires io.netty.tcnative.classes.openssl;

    provides dev.vconn.ports.TransportProvider with dev.vconn.netty.NettyTransportProvider;
}
