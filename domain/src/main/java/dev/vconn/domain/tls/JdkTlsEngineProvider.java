package dev.vconn.domain.tls;

import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.X509ExtendedKeyManager;

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

    /** The context's key managers; a server with one certificate answers its choice itself (no JDK chooser). */
    private static KeyManager[] keyManagers(TlsEngineSettings settings) {
        if (settings.keyManagerFactory() == null) {
            return null;
        }
        KeyManager[] managers = settings.keyManagerFactory().getKeyManagers();
        if (settings.role() == TlsContext.Role.SERVER && settings.certificates().size() == 1 && managers.length == 1
                && managers[0] instanceof X509ExtendedKeyManager jdk) {
            return new KeyManager[] {new OneCertificateKeyManager(jdk, settings.certificates().get(0))};
        }
        return managers;
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
