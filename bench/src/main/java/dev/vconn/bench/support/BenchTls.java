package dev.vconn.bench.support;

import dev.vconn.domain.tls.TlsContext;
import dev.vconn.domain.tls.TlsKeyMaterial;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.Executor;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * The TLS configuration of {@code TlsHandshakeBenchmark}, for vconn's {@code TlsVConn} and for the raw
 * {@link SSLEngine} baseline alike: TLS 1.3, one cipher suite, the benchmark-only self-signed EC certificate of
 * {@code tls-bench/bench.p12} (trusted by the client, host name {@value #HOST} verified).
 */
public final class BenchTls {
    public static final String PROTOCOL = "TLSv1.3";
    /** The AES-GCM suite both sides must use (the JDK would pick AES-256 first). */
    public static final String CIPHER = "TLS_AES_128_GCM_SHA256";
    public static final String HOST = "localhost";
    private static final String ALIAS = "bench";
    private static final char[] PASSWORD = "bench-only".toCharArray();

    private BenchTls() {
    }

    /** The key store holding the key and its self-signed certificate. */
    public static KeyStore keyStore() {
        try (InputStream in = BenchTls.class.getResourceAsStream("/tls-bench/bench.p12")) {
            if (in == null) {
                throw new IllegalStateException("resource tls-bench/bench.p12 missing from the benchmark jar");
            }
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, PASSWORD);
            return ks;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot load tls-bench/bench.p12", e);
        }
    }

    /** A trust store with the certificate as its one trust anchor. */
    public static KeyStore trustStore() {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("bench", keyStore().getCertificate(ALIAS));
            return trust;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build the benchmark trust store", e);
        }
    }

    /** vconn's server context, delegated tasks run by {@code executor}. */
    public static TlsContext serverContext(Executor executor) {
        return TlsContext.server().certificate(TlsKeyMaterial.fromKeyStore(keyStore(), ALIAS, PASSWORD))
                .protocols(PROTOCOL).cipherSuites(CIPHER).delegatedTaskExecutor(executor).build();
    }

    /** vconn's client context, delegated tasks run by {@code executor}. */
    public static TlsContext clientContext(Executor executor) {
        return TlsContext.client().trustStore(trustStore()).protocols(PROTOCOL).cipherSuites(CIPHER)
                .delegatedTaskExecutor(executor).build();
    }

    /** The JDK context the raw engines come from: the same key and trust as vconn's contexts. */
    public static SSLContext rawContext() {
        try {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keyStore(), PASSWORD);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(trustStore());
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build the raw SSLContext", e);
        }
    }

    /**
     * A raw engine of {@code ctx} with vconn's protocol, suite and (client) host name check. The client engine is
     * made without a peer host and port, with the host as SNI instead (which the host name check then uses): the
     * JDK's client session cache is keyed by host and port, so every handshake is a full one, as vconn's are. Made
     * with {@code createSSLEngine(host, port)}, the engines resumed the session of the previous handshake from the
     * second one on (a TLS 1.3 PSK handshake: no certificate, no signature), which made the baseline about half as
     * costly as a full handshake.
     */
    public static SSLEngine rawEngine(SSLContext ctx, boolean client) {
        SSLEngine engine = ctx.createSSLEngine();
        engine.setUseClientMode(client);
        SSLParameters p = engine.getSSLParameters();
        p.setProtocols(new String[] {PROTOCOL});
        p.setCipherSuites(new String[] {CIPHER});
        if (client) {
            p.setEndpointIdentificationAlgorithm("HTTPS");
            p.setServerNames(List.of(new SNIHostName(HOST)));
        }
        engine.setSSLParameters(p);
        return engine;
    }
}
