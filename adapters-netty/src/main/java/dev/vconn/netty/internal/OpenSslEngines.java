package dev.vconn.netty.internal;

import dev.vconn.domain.tls.TlsConfigException;
import dev.vconn.domain.tls.TlsContext;
import dev.vconn.domain.tls.TlsEngineProvider;
import dev.vconn.domain.tls.TlsEngineSettings;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslCachingX509KeyManagerFactory;
import io.netty.handler.ssl.OpenSslContextOption;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCounted;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;

/**
 * The engines of one TLS context on BoringSSL: one Netty {@link SslContext} built from the context's settings, one
 * engine per connection. The context is Netty's non-reference-counted kind (freed with the Java object); every engine
 * is freed explicitly when its connection is released ({@link #release}), so native memory follows connections.
 */
public final class OpenSslEngines implements TlsEngineProvider.Engines {
    private final SslContext sslContext;
    private final TlsEngineSettings settings;
    private final AtomicLong open;

    private OpenSslEngines(SslContext sslContext, TlsEngineSettings settings, AtomicLong open) {
        this.sslContext = sslContext;
        this.settings = settings;
        this.open = open;
    }

    /** Whether netty-tcnative's BoringSSL loads here. */
    public static boolean isAvailable() {
        return OpenSsl.isAvailable();
    }

    /** Why it does not load, or null. */
    public static Throwable unavailabilityCause() {
        return OpenSsl.unavailabilityCause();
    }

    /**
     * Checks the settings against what this engine honours exactly as the JDK's does, and builds the Netty context.
     *
     * @param settings the TLS context's settings
     * @param open the provider's count of engines not yet released
     * @return the engines
     * @throws TlsConfigException if the native library does not load or a setting is refused
     */
    public static OpenSslEngines create(TlsEngineSettings settings, AtomicLong open) {
        if (!OpenSsl.isAvailable()) {
            Throwable cause = OpenSsl.unavailabilityCause();
            throw new TlsConfigException("the openssl TLS engine is not available here: netty-tcnative's BoringSSL"
                    + " (linux-x86_64) did not load: " + cause, cause);
        }
        if (settings.cipherSuites() != null) {
            throw new TlsConfigException("the openssl TLS engine does not take a cipher-suite list (BoringSSL's TLS 1.3"
                    + " suites cannot be chosen): use the jdk engine to choose cipher suites (docs/tls.md, Engines)");
        }
        if (settings.role() == TlsContext.Role.CLIENT && !settings.sendSni()) {
            throw new TlsConfigException("the openssl TLS engine always sends SNI for a host name: use the jdk engine"
                    + " for a client that does not send SNI (docs/tls.md, Engines)");
        }
        boolean server = settings.role() == TlsContext.Role.SERVER;
        SslContextBuilder b;
        if (server) {
            b = SslContextBuilder.forServer(new OpenSslCachingX509KeyManagerFactory(stableAliases(settings)))
                    .clientAuth(switch (settings.clientAuth()) {
                        case NONE -> ClientAuth.NONE;
                        case WANT -> ClientAuth.OPTIONAL;
                        case NEED -> ClientAuth.REQUIRE;
                    });
        } else {
            b = SslContextBuilder.forClient()
                    .endpointIdentificationAlgorithm(settings.verifyHostname() ? "HTTPS" : null);
            if (settings.keyManagerFactory() != null) {
                b.keyManager(new OpenSslCachingX509KeyManagerFactory(stableAliases(settings)));
            }
        }
        b.sslProvider(SslProvider.OPENSSL)
                // The key-selection and certificate-verification callbacks run inside wrap and unwrap, on the loop,
                // like BoringSSL's own handshake crypto: no delegated tasks (docs/tls.md, Engines).
                .option(OpenSslContextOption.USE_TASKS, false)
                .trustManager(settings.trustManagerFactory())
                .protocols(settings.protocols())
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        // The only choices BoringSSL's selector offers; docs/tls.md, Engines, says what this means.
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, settings.alpn()));
        try {
            return new OpenSslEngines(b.build(), settings, open);
        } catch (SSLException | RuntimeException e) {
            throw new TlsConfigException("cannot build the openssl TLS context: " + e.getMessage(), e);
        }
    }

    /** The context's PKIX key manager with an alias per certificate, so Netty caches each one's native key. */
    private static KeyManagerFactory stableAliases(TlsEngineSettings settings) {
        for (KeyManager km : settings.keyManagerFactory().getKeyManagers()) {
            if (km instanceof X509ExtendedKeyManager x509) {
                return new StableAliasKeyManager(x509, settings.certificates()).factory();
            }
        }
        throw new TlsConfigException("the openssl TLS engine found no X.509 key manager for the certificates");
    }

    @Override
    public SSLEngine newEngine(String peerHost, int peerPort) {
        SSLEngine engine = peerHost == null ? sslContext.newEngine(ByteBufAllocator.DEFAULT)
                : sslContext.newEngine(ByteBufAllocator.DEFAULT, peerHost, peerPort);
        SNIHostName sni = peerHost == null ? null : settings.sniName(peerHost);
        if (sni != null) {
            // Netty sends SNI only for names with a dot; the JDK engine sends it for every host name (localhost).
            SSLParameters p = engine.getSSLParameters();
            p.setServerNames(List.of(sni));
            engine.setSSLParameters(p);
        }
        open.incrementAndGet();
        return engine;
    }

    @Override
    public void release(SSLEngine engine) {
        // Frees the native SSL object now rather than when the engine is collected.
        if (engine instanceof ReferenceCounted counted && counted.refCnt() > 0) {
            counted.release();
        }
        open.decrementAndGet();
    }
}
