package dev.vconn.nio;

/**
 * Socket options the nio transport sets on the sockets it connects and accepts (adopted sockets are left as the
 * caller configured them, as Traffic Server leaves an adopted fd's options alone).
 *
 * @param tcpNoDelay disable Nagle's algorithm ({@code TCP_NODELAY})
 * @param keepAlive  enable TCP keep-alive probes ({@code SO_KEEPALIVE})
 */
public record NioSocketOptions(boolean tcpNoDelay, boolean keepAlive) {
    /** {@code TCP_NODELAY} on, {@code SO_KEEPALIVE} off. */
    public static NioSocketOptions defaults() {
        return new NioSocketOptions(true, false);
    }
}
