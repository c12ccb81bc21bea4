package dev.vconn.netty;

/** Which Netty I/O transport drives a {@link NettyTransport}'s connections. */
public enum IoKind {
    /** Linux epoll through Netty's native transport ({@code EpollIoHandler}). */
    EPOLL,
    /** Netty's java.nio transport ({@code NioIoHandler}). */
    NIO
}
