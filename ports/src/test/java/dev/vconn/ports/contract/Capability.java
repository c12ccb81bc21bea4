package dev.vconn.ports.contract;

/**
 * What a transport can do, in the style of Guava testlib's features. A contract case that needs a capability the
 * transport lacks is skipped with a message naming the capability and the transport, so the report says what was
 * not run and why.
 */
public enum Capability {
    /** The transport's clock is virtual: time moves only when the test drives it. */
    VIRTUAL_TIME,
    /** The transport's loops run on their own threads (real time), so foreign threads race with callbacks. */
    REAL_THREADS,
    /** The transport can make a channel registered with a selector of its kind, to test refusing it. */
    REGISTERED_CHANNELS,
    /**
     * The transport can adopt a raw file descriptor (Linux epoll): {@code SocketAdopter.supportsFileDescriptors()}
     * must say true exactly when a harness declares this, and the harness makes descriptors
     * ({@link TransportHarness#descriptorPair()}).
     */
    RAW_FD_ADOPTION,
    /**
     * The transport's sockets are the kernel's, so clients outside vconn (the JDK's {@code HttpClient}, a plain
     * {@code java.net.Socket}) can connect to its listeners.
     */
    KERNEL_SOCKETS
}
