package dev.vconn.domain.tls;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.crypto.spec.PBEParameterSpec;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/** The JDK's {@link SSLEngine}: one {@link SSLContext} per TLS context, every setting supported. */
final class JdkTlsEngineProvider implements TlsEngineProvider {
    static final JdkTlsEngineProvider INSTANCE = new JdkTlsEngineProvider();

    private JdkTlsEngineProvider() {
    }

    @Override
    public String name() {
        return "jdk";
    }

    @Override
    public Engines engines(TlsEngineSettings settings) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(keyManagers(settings), settings.trustManagerFactory().getTrustManagers(), null);
            if (settings.cipherSuites() != null) {
                Set<String> supported = Set.of(ctx.getSupportedSSLParameters().getCipherSuites());
                for (String s : settings.cipherSuites()) {
                    if (!supported.contains(s)) {
                        throw new IllegalArgumentException("cipher suite " + s + " is not supported by this JDK");
                    }
                }
            }
            return new JdkEngines(ctx, settings);
        } catch (GeneralSecurityException e) {
            throw new TlsConfigException("cannot build the TLS context: " + e.getMessage(), e);
        }
    }

    /**
     * The context's key managers. A server with one certificate gets the JDK's simple {@code SunX509} key manager over
     * it instead of the PKIX one: it chooses the certificate by key type alone, as the PKIX one would for a single
     * certificate, but it holds the key in memory and remembers its choice per key type, where the PKIX one checks
     * the chain's signature algorithms against the client's on every handshake (four exceptions for a certificate
     * without the key-usage extension) and names each choice anew, so it reads the key out of its key store on
     * every handshake. A chain the client's algorithm list excludes is then sent anyway (RFC 8446, section 4.4.2.2,
     * allows it) and the client refuses it, where the PKIX one would have found no certificate (docs/tls.md).
     */
    private static KeyManager[] keyManagers(TlsEngineSettings settings) throws GeneralSecurityException {
        if (settings.keyManagerFactory() == null) {
            return null;
        }
        if (settings.role() != TlsContext.Role.SERVER || settings.certificates().size() != 1) {
            return settings.keyManagerFactory().getKeyManagers();
        }
        TlsKeyMaterial only = settings.certificates().get(0);
        char[] password = "vconn".toCharArray();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try {
            store.load(null, null);
        } catch (IOException e) {
            throw new GeneralSecurityException(e);
        }
        // In memory only and read once, when the key manager is made: one PBE round (as TlsContext's stores).
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        X509Certificate[] chain = only.chain().toArray(X509Certificate[]::new);
        KeyStore.PasswordProtection oneRound =
                new KeyStore.PasswordProtection(password, "PBEWithHmacSHA256AndAES_256", new PBEParameterSpec(salt, 1));
        store.setEntry("only", new KeyStore.PrivateKeyEntry(only.privateKey(), chain), oneRound);
        KeyManagerFactory simple = KeyManagerFactory.getInstance("SunX509");
        simple.init(store, password);
        return simple.getKeyManagers();
    }

    @Override
    public String toString() {
        return name();
    }

    private record JdkEngines(SSLContext sslContext, TlsEngineSettings settings) implements Engines {
        @Override
        public SSLEngine newEngine(String peerHost, int peerPort) {
            SSLEngine engine = peerHost == null ? sslContext.createSSLEngine()
                    : sslContext.createSSLEngine(peerHost, peerPort);
            boolean server = settings.role() == TlsContext.Role.SERVER;
            engine.setUseClientMode(!server);
            SSLParameters p = engine.getSSLParameters();
            p.setProtocols(settings.protocols().toArray(String[]::new));
            if (settings.cipherSuites() != null) {
                p.setCipherSuites(settings.cipherSuites().toArray(String[]::new));
            }
            if (server) {
                p.setNeedClientAuth(settings.clientAuth() == TlsContext.ClientAuth.NEED);
                if (settings.clientAuth() == TlsContext.ClientAuth.WANT) {
                    p.setWantClientAuth(true);
                }
            } else {
                p.setApplicationProtocols(settings.alpn().toArray(String[]::new));
                if (settings.verifyHostname()) {
                    p.setEndpointIdentificationAlgorithm("HTTPS");
                }
                List<SNIServerName> names = new ArrayList<>();
                SNIHostName sni = settings.sniName(peerHost);
                if (sni != null) {
                    names.add(sni);
                }
                p.setServerNames(names);
            }
            engine.setSSLParameters(p);
            if (server) {
                engine.setHandshakeApplicationProtocolSelector((e, offered) -> selectAlpn(offered));
            }
            return engine;
        }

        /**
         * The server's ALPN choice: its most preferred protocol the client offered; {@code ""} (no ALPN) if the client
         * offered none; {@code null} (the JDK then fails the handshake with {@code no_application_protocol}) if the
         * client offered only protocols this server does not speak.
         */
        private String selectAlpn(List<String> offered) {
            if (offered == null || offered.isEmpty()) {
                return "";
            }
            for (String p : settings.alpn()) {
                if (offered.contains(p)) {
                    return p;
                }
            }
            return null;
        }
    }
}
