package dev.vconn.domain.tls;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import javax.crypto.spec.PBEParameterSpec;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.KeyStoreBuilderParameters;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;

/**
 * Immutable TLS configuration for one side (server or client), built once and shared by every connection: the
 * engines' maker (the JDK's {@code SSLContext} by default, or another {@link TlsEngineProvider}) plus protocols,
 * cipher suites, ALPN, client authentication, hostname verification and the executor for the engine's delegated
 * tasks. See {@code docs/tls.md}.
 *
 * <p>A server presents one or more certificates: the first one added is the default; when a client sends SNI, the
 * JDK's PKIX key manager picks the certificate whose subject alternative names match the requested name (the
 * default if none does). A client verifies the server's certificate against its trust store (the JDK's default
 * trust store if none is given), checks the host name (endpoint identification {@code HTTPS}, on by default) and
 * sends SNI.
 */
public final class TlsContext {
    /** Which side of the handshake a context serves. */
    public enum Role {
        /** Accepts connections and presents a certificate. */
        SERVER,
        /** Opens connections and verifies the server. */
        CLIENT
    }

    /** Whether a server asks the client for a certificate. */
    public enum ClientAuth {
        /** No client certificate is requested. */
        NONE,
        /** A certificate is requested; a client without one is still accepted. */
        WANT,
        /** A certificate is required; a client without one fails the handshake. */
        NEED
    }

    /** The protocols allowed, and enabled by default: TLS 1.3 and TLS 1.2, nothing older. */
    public static final List<String> DEFAULT_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
    /** The ALPN protocols offered (client) or accepted (server) by default. */
    public static final List<String> DEFAULT_ALPN = List.of("http/1.1");
    /** How long a handshake may take before the connection is failed (a peer that stalls mid-handshake). */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

    private final Role role;
    private final TlsEngineProvider engineProvider;
    private final TlsEngineProvider.Engines engines;
    private final List<String> protocols;
    private final List<String> alpn;
    private final ClientAuth clientAuth;
    private final boolean verifyHostname;
    private final Executor delegatedTaskExecutor;
    private final Duration handshakeTimeout;

    private TlsContext(Builder<?> b, TlsEngineProvider.Engines engines) {
        this.role = b.role;
        this.engineProvider = b.engineProvider;
        this.engines = engines;
        this.protocols = List.copyOf(b.protocols);
        this.alpn = List.copyOf(b.alpn);
        this.clientAuth = b.clientAuth;
        this.verifyHostname = b.verifyHostname;
        this.delegatedTaskExecutor = b.executor;
        this.handshakeTimeout = b.handshakeTimeout;
    }

    /** A builder for a server context; at least one certificate must be added. */
    public static ServerBuilder server() {
        return new ServerBuilder();
    }

    /** A builder for a client context. */
    public static ClientBuilder client() {
        return new ClientBuilder();
    }

    /** The side this context serves. */
    public Role role() {
        return role;
    }

    /** The enabled protocols, most preferred first. */
    public List<String> protocols() {
        return protocols;
    }

    /** The ALPN protocols: offered in this order by a client, accepted in this order of preference by a server. */
    public List<String> alpn() {
        return alpn;
    }

    /** Whether a server asks for client certificates. */
    public ClientAuth clientAuth() {
        return clientAuth;
    }

    /** Whether a client verifies that the server's certificate names the host it connects to. */
    public boolean verifyHostname() {
        return verifyHostname;
    }

    /** Where this context's engines come from ({@link TlsEngineProvider#jdk()} unless another was chosen). */
    public TlsEngineProvider engineProvider() {
        return engineProvider;
    }

    /** Where the engine's delegated tasks run (never on the event loop). */
    public Executor delegatedTaskExecutor() {
        return delegatedTaskExecutor;
    }

    /**
     * How long a handshake may take, counted on the VConn's loop clock from its start; a handshake still unfinished
     * then fails the connection with ETIMEDOUT.
     */
    public Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    /**
     * A new engine for one connection.
     *
     * @param peerHost the server's host name for a client (used for SNI and hostname verification), {@code null}
     *     for a server
     * @param peerPort the server's port for a client, {@code -1} for a server
     */
    SSLEngine newEngine(String peerHost, int peerPort) {
        return engines.newEngine(peerHost, peerPort);
    }

    /** Frees what an engine of this context holds outside the heap, once its connection no longer uses it. */
    void releaseEngine(SSLEngine engine) {
        engines.release(engine);
    }

    /** The SNI name for a host, or {@code null} for an IP literal or a name SNI cannot carry. */
    static SNIHostName sniName(String host) {
        if (host == null || host.isEmpty() || host.indexOf(':') >= 0 || host.chars().allMatch(c -> c == '.'
                || (c >= '0' && c <= '9'))) {
            return null;
        }
        try {
            return new SNIHostName(host.endsWith(".") ? host.substring(0, host.length() - 1) : host);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @Override
    public String toString() {
        return "TlsContext[" + role + ", engine=" + engineProvider.name() + ", protocols=" + protocols
                + ", alpn=" + alpn
                + (role == Role.SERVER ? ", clientAuth=" + clientAuth : ", verifyHostname=" + verifyHostname) + "]";
    }

    // ---------------------------------------------------------------------------------------------------------
    // Builders

    /** Settings common to both sides. */
    public abstract static class Builder<B extends Builder<B>> {
        final Role role;
        List<String> protocols = DEFAULT_PROTOCOLS;
        List<String> cipherSuites;
        List<String> alpn = DEFAULT_ALPN;
        ClientAuth clientAuth = ClientAuth.NONE;
        boolean verifyHostname = true;
        boolean sendSni = true;
        Executor executor = ForkJoinPool.commonPool();
        Duration handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
        KeyStore trust;
        TlsEngineProvider engineProvider = TlsEngineProvider.jdk();

        Builder(Role role) {
            this.role = role;
        }

        abstract B self();

        /**
         * The protocols to enable, from {@code TLSv1.3} and {@code TLSv1.2} (default: both).
         *
         * @throws IllegalArgumentException for an empty list or any other protocol
         */
        public B protocols(String... protocols) {
            List<String> list = List.of(protocols);
            if (list.isEmpty()) {
                throw new IllegalArgumentException("at least one TLS protocol is needed (TLSv1.3, TLSv1.2)");
            }
            for (String p : list) {
                if (!DEFAULT_PROTOCOLS.contains(p)) {
                    throw new IllegalArgumentException("protocol " + p + " is not allowed: vconn speaks only "
                            + DEFAULT_PROTOCOLS);
                }
            }
            this.protocols = list;
            return self();
        }

        /** The cipher suites to enable, in JDK names (default: the JDK's defaults for the protocols). */
        public B cipherSuites(String... suites) {
            List<String> list = List.of(suites);
            if (list.isEmpty()) {
                throw new IllegalArgumentException("at least one cipher suite is needed");
            }
            this.cipherSuites = list;
            return self();
        }

        /**
         * The ALPN protocols (default {@code http/1.1}): a client offers them in this order; a server picks its
         * first one the client offered.
         */
        public B alpn(String... protocols) {
            List<String> list = List.of(protocols);
            if (list.isEmpty()) {
                throw new IllegalArgumentException("at least one ALPN protocol is needed");
            }
            this.alpn = list;
            return self();
        }

        /**
         * Where the engines come from (default {@link TlsEngineProvider#jdk()}); the provider checks the other
         * settings when the context is built and refuses those it cannot honour (docs/tls.md, Engines).
         */
        public B engine(TlsEngineProvider provider) {
            this.engineProvider = Objects.requireNonNull(provider, "provider");
            return self();
        }

        /**
         * Where delegated engine tasks run (default: the common fork-join pool, off the event loop); the VConn resumes
         * on its loop once they are done. {@code Runnable::run} runs them inline on the loop instead, which a
         * deterministic simulation wants and a server does not (docs/tls.md, Threading).
         */
        public B delegatedTaskExecutor(Executor executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return self();
        }

        /**
         * How long a handshake may take (default {@link #DEFAULT_HANDSHAKE_TIMEOUT}): a peer that stalls
         * mid-handshake is failed with ETIMEDOUT after it.
         *
         * @throws IllegalArgumentException if {@code timeout} is not positive
         */
        public B handshakeTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isZero() || timeout.isNegative()) {
                throw new IllegalArgumentException("handshakeTimeout must be positive, was " + timeout);
            }
            this.handshakeTimeout = timeout;
            return self();
        }

        /** Trusts the CA certificates of a PEM file. */
        public B trustPem(Path caFile) {
            List<X509Certificate> cas = TlsKeyMaterial.readCertificates(caFile);
            try {
                KeyStore ks = KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                for (int i = 0; i < cas.size(); i++) {
                    ks.setCertificateEntry("ca-" + i, cas.get(i));
                }
                this.trust = ks;
            } catch (java.io.IOException | GeneralSecurityException e) {
                throw new TlsConfigException("cannot build a trust store from " + caFile + ": " + e.getMessage(), e);
            }
            return self();
        }

        /** Trusts the certificate entries of a key store. */
        public B trustStore(KeyStore trustStore) {
            this.trust = Objects.requireNonNull(trustStore, "trustStore");
            return self();
        }

        /** Trusts the certificate entries of a key store file ({@code PKCS12} or {@code JKS}). */
        public B trustStoreFile(Path file, String type, char[] password) {
            return trustStore(TlsKeyMaterial.loadKeyStore(file, type, password));
        }

        TrustManagerFactory trustManagers() throws GeneralSecurityException {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(trust); // null: the JDK's default trust store
            return tmf;
        }

        static KeyManagerFactory keyManagers(List<TlsKeyMaterial> materials) throws GeneralSecurityException {
            if (materials.isEmpty()) {
                return null;
            }
            // One key store per certificate, in order: the PKIX key manager tries them in list order, so the first
            // is the default when no certificate matches the requested server name.
            char[] password = "vconn".toCharArray();
            // The PKIX key manager reads the entry of the alias it chose out of its key store on every handshake (its
            // entry cache is per chosen alias, and each choice makes a new one), and a PKCS#12 entry is decrypted
            // with PBKDF2 each time: ten thousand rounds by default, several milliseconds, most of a handshake. These
            // stores live in memory only, so their protection protects nothing: one round.
            byte[] salt = new byte[16];
            new SecureRandom().nextBytes(salt);
            KeyStore.PasswordProtection inMemoryOnly = new KeyStore.PasswordProtection(
                    password, "PBEWithHmacSHA256AndAES_256", new PBEParameterSpec(salt, 1));
            List<KeyStore.Builder> stores = new ArrayList<>();
            for (TlsKeyMaterial m : materials) {
                KeyStore ks = KeyStore.getInstance("PKCS12");
                try {
                    ks.load(null, null);
                } catch (java.io.IOException e) {
                    throw new GeneralSecurityException(e);
                }
                X509Certificate[] chain = m.chain().toArray(X509Certificate[]::new);
                ks.setEntry("key", new KeyStore.PrivateKeyEntry(m.privateKey(), chain), inMemoryOnly);
                stores.add(KeyStore.Builder.newInstance(ks, new KeyStore.PasswordProtection(password)));
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
            try {
                kmf.init(new KeyStoreBuilderParameters(stores));
            } catch (java.security.InvalidAlgorithmParameterException e) {
                throw new GeneralSecurityException(e);
            }
            return kmf;
        }

        TlsContext build(List<TlsKeyMaterial> keys) {
            TlsEngineSettings settings;
            try {
                settings = new TlsEngineSettings(role, keys, keyManagers(keys), trustManagers(), trust != null,
                        protocols, cipherSuites, alpn, clientAuth, verifyHostname, sendSni);
            } catch (GeneralSecurityException e) {
                throw new TlsConfigException("cannot build the TLS context: " + e.getMessage(), e);
            }
            return new TlsContext(this, engineProvider.engines(settings));
        }
    }

    /** Builds a server context. */
    public static final class ServerBuilder extends Builder<ServerBuilder> {
        private final List<TlsKeyMaterial> certificates = new ArrayList<>();

        ServerBuilder() {
            super(Role.SERVER);
        }

        @Override
        ServerBuilder self() {
            return this;
        }

        /**
         * Adds a certificate with its key. The first one added is the default; the others are chosen by SNI when a
         * client's requested server name matches one of their subject alternative names.
         */
        public ServerBuilder certificate(TlsKeyMaterial material) {
            certificates.add(Objects.requireNonNull(material, "material"));
            return this;
        }

        /** Adds a certificate from PEM files (see {@link TlsKeyMaterial#fromPem(Path, Path)}). */
        public ServerBuilder certificate(Path chainFile, Path keyFile) {
            return certificate(TlsKeyMaterial.fromPem(chainFile, keyFile));
        }

        /** Adds a certificate from PEM files with an encrypted key. */
        public ServerBuilder certificate(Path chainFile, Path keyFile, char[] keyPassword) {
            return certificate(TlsKeyMaterial.fromPem(chainFile, keyFile, keyPassword));
        }

        /**
         * Whether to ask clients for a certificate (default {@link ClientAuth#NONE}); {@code WANT} and {@code NEED}
         * verify it against the trust store set with {@link #trustPem} or {@link #trustStore}.
         */
        public ServerBuilder clientAuth(ClientAuth clientAuth) {
            this.clientAuth = Objects.requireNonNull(clientAuth, "clientAuth");
            return this;
        }

        /**
         * The context.
         *
         * @throws IllegalStateException if no certificate was added, or client authentication has no trust store
         * @throws TlsConfigException    if the JDK refuses the configuration
         */
        public TlsContext build() {
            if (certificates.isEmpty()) {
                throw new IllegalStateException("a TLS server needs at least one certificate (the default)");
            }
            if (clientAuth != ClientAuth.NONE && trust == null) {
                throw new IllegalStateException("clientAuth " + clientAuth.name().toLowerCase(Locale.ROOT)
                        + " needs a trust store for client certificates (trustPem or trustStore)");
            }
            return build(certificates);
        }
    }

    /** Builds a client context. */
    public static final class ClientBuilder extends Builder<ClientBuilder> {
        private TlsKeyMaterial clientCertificate;

        ClientBuilder() {
            super(Role.CLIENT);
        }

        @Override
        ClientBuilder self() {
            return this;
        }

        /** Whether to check that the server's certificate names the host connected to (default: on). */
        public ClientBuilder verifyHostname(boolean verify) {
            this.verifyHostname = verify;
            return this;
        }

        /** Whether to send the host name as SNI (default: on; never for IP literals). */
        public ClientBuilder sendSni(boolean send) {
            this.sendSni = send;
            return this;
        }

        /** The certificate presented when a server asks for one. */
        public ClientBuilder clientCertificate(TlsKeyMaterial material) {
            this.clientCertificate = Objects.requireNonNull(material, "material");
            return this;
        }

        /**
         * The context.
         *
         * @throws TlsConfigException if the JDK refuses the configuration
         */
        public TlsContext build() {
            return build(clientCertificate == null ? List.of() : List.of(clientCertificate));
        }
    }
}
