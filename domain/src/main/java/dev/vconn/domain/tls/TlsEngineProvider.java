package dev.vconn.domain.tls;

import javax.net.ssl.SSLEngine;

/**
 * Where a {@link TlsContext}'s {@link SSLEngine}s come from: the JDK's own ({@link #jdk()}, the default) or another
 * implementation of {@code javax.net.ssl.SSLEngine} (the Netty adapter's OpenSSL engine), chosen with
 * {@link TlsContext.Builder#engine(TlsEngineProvider)}. {@link TlsVConn} drives every engine the same way.
 *
 * <p>A provider gets the context's settings once, when the context is built, and must either honour every one of them
 * exactly as the JDK engine does or refuse them then with a {@link TlsConfigException} naming the rule (docs/tls.md,
 * Engines): a connection never behaves differently from what its context says.
 */
public interface TlsEngineProvider {
    /**
     * A short name for messages and logs ({@code jdk}, {@code openssl}).
     *
     * @return the name
     */
    String name();

    /**
     * Checks the settings and prepares what every connection of one context shares.
     *
     * @param settings the context's settings
     * @return the maker of the context's engines
     * @throws TlsConfigException if this provider cannot honour a setting, or cannot run here (a native library that
     *     does not load)
     */
    Engines engines(TlsEngineSettings settings);

    /** Makes and releases the engines of one context; shared by all its connections, so thread-safe. */
    interface Engines {
        /**
         * A new engine for one connection, configured with the context's settings and in its role's mode.
         *
         * @param peerHost the server's host name for a client (SNI and hostname verification), {@code null} for a
         *     server
         * @param peerPort the server's port for a client, {@code -1} for a server
         * @return the engine
         */
        SSLEngine newEngine(String peerHost, int peerPort);

        /**
         * Frees what an engine holds outside the Java heap; called once, when its connection is released, after its
         * last use. The JDK engine holds nothing and needs nothing.
         *
         * @param engine an engine this maker made
         */
        default void release(SSLEngine engine) {
        }
    }

    /**
     * The JDK's engine ({@code SSLContext.getInstance("TLS")}), the default.
     *
     * @return the provider
     */
    static TlsEngineProvider jdk() {
        return JdkTlsEngineProvider.INSTANCE;
    }
}
