package dev.vconn.netty;

/**
 * How a {@link NettyTransport} is set up beyond the common {@link dev.vconn.ports.TransportConfig}.
 *
 * @param forceNio   use Netty's NIO transport even where epoll is available (tests run both this way)
 * @param tcpNoDelay disable Nagle's algorithm ({@code TCP_NODELAY}) on connected and accepted sockets
 * @param keepAlive  enable TCP keep-alive probes ({@code SO_KEEPALIVE}) on connected and accepted sockets
 */
public record NettyOptions(boolean forceNio, boolean tcpNoDelay, boolean keepAlive) {
    /** Epoll where available, {@code TCP_NODELAY} on, {@code SO_KEEPALIVE} off. */
    public static NettyOptions defaults() {
        return new NettyOptions(false, true, false);
    }

    /** These options with {@link #forceNio} set as given. */
    public NettyOptions withForceNio(boolean force) {
        return new NettyOptions(force, tcpNoDelay, keepAlive);
    }
}
