/**
 * The Netty transport: {@link dev.vconn.netty.NettyTransport}, VConns over Netty channels driven by the domain's
 * shared VIO core, on epoll event loops where Linux offers them and on Netty's NIO loops elsewhere, with adoption of
 * JDK socket channels and (on epoll) of raw connected socket descriptors; found by {@code Transports.load("netty")}.
 * See {@code docs/netty-adapter.md} for how VIO demand maps onto Netty reads and writability.
 *
 * <p>{@link dev.vconn.netty.OpenSslTlsEngineProvider} is the {@code openssl} TLS engine: BoringSSL's
 * {@code SSLEngine} for any {@code TlsContext}, usable on every transport (docs/tls.md, Engines).
 */
package dev.vconn.netty;
