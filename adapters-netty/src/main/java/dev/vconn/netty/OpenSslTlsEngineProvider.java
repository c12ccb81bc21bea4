package dev.vconn.netty;

import dev.vconn.domain.tls.TlsConfigException;
import dev.vconn.domain.tls.TlsEngineProvider;
import dev.vconn.domain.tls.TlsEngineSettings;
import dev.vconn.netty.internal.OpenSslEngines;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code openssl} TLS engine: BoringSSL through Netty's {@code javax.net.ssl.SSLEngine} (netty-tcnative,
 * statically linked, Linux x86-64), for {@link dev.vconn.domain.tls.TlsContext.Builder#engine(TlsEngineProvider)}.
 * Its engines are plain {@code SSLEngine}s, so a {@link dev.vconn.domain.tls.TlsVConn} drives them on every transport
 * (nio, Netty, in-memory), not only on Netty's.
 *
 * <p>It uses the context's own PKIX key and trust managers, so certificate selection by SNI, client-certificate and
 * server-certificate verification and hostname verification are the JDK's code; the handshake and record crypto are
 * BoringSSL's. Settings it cannot honour as the JDK engine does are refused when the context is built (docs/tls.md,
 * Engines): a cipher-suite list, and a client that does not send SNI. Engines are freed when their connection is
 * released; {@link #openEngines()} counts those made and not yet freed.
 */
public final class OpenSslTlsEngineProvider implements TlsEngineProvider {
    private final AtomicLong open = new AtomicLong();

    private OpenSslTlsEngineProvider() {
    }

    /**
     * A provider with its own count of open engines.
     *
     * @return the provider
     */
    public static OpenSslTlsEngineProvider create() {
        return new OpenSslTlsEngineProvider();
    }

    /**
     * Whether the native library loads on this machine.
     *
     * @return true if contexts with this engine can be built
     */
    public static boolean isAvailable() {
        return OpenSslEngines.isAvailable();
    }

    /**
     * Why the native library does not load, if it does not.
     *
     * @return the reason, empty when it loads
     */
    public static Optional<Throwable> unavailabilityCause() {
        return Optional.ofNullable(OpenSslEngines.unavailabilityCause());
    }

    @Override
    public String name() {
        return "openssl";
    }

    /**
     * {@inheritDoc}
     *
     * @throws TlsConfigException if the native library does not load, or a setting is one this engine refuses
     */
    @Override
    public Engines engines(TlsEngineSettings settings) {
        return OpenSslEngines.create(settings, open);
    }

    /**
     * Engines made by this provider's contexts whose connections have not released them yet: zero once every
     * connection is closed.
     *
     * @return the count
     */
    public long openEngines() {
        return open.get();
    }

    @Override
    public String toString() {
        return name();
    }
}
