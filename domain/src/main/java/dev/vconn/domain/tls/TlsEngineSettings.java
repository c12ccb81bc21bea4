package dev.vconn.domain.tls;

import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * What a {@link TlsContext} asks of its engines, handed to a {@link TlsEngineProvider} once when the context is
 * built. The key and trust managers are the JDK's PKIX ones, already initialised, so every provider selects
 * certificates by SNI and verifies peers with the same code.
 *
 * @param role the side the engines serve
 * @param certificates the server's certificates in order (the first the default), or the client's certificate; may
 *     be empty for a client
 * @param keyManagerFactory the initialised PKIX key manager factory over {@code certificates}, or {@code null} when
 *     there are none
 * @param trustManagerFactory the initialised PKIX trust manager factory: the configured trust store, or the JDK's
 *     default one
 * @param customTrust whether a trust store was configured (false: the JDK's default trust store)
 * @param protocols the enabled protocols, most preferred first
 * @param cipherSuites the cipher suites in JDK names, or {@code null} for the engine's defaults
 * @param alpn the ALPN protocols, most preferred first
 * @param clientAuth whether a server asks for client certificates
 * @param verifyHostname whether a client checks the server's certificate against the host name
 * @param sendSni whether a client sends the host name as SNI
 */
public record TlsEngineSettings(TlsContext.Role role, List<TlsKeyMaterial> certificates,
        KeyManagerFactory keyManagerFactory, TrustManagerFactory trustManagerFactory, boolean customTrust, List<String> protocols,
        List<String> cipherSuites, List<String> alpn, TlsContext.ClientAuth clientAuth, boolean verifyHostname,
        boolean sendSni) {

    /**
     * The SNI name a client sends for a host: none when SNI is off, for an IP literal or a name SNI cannot carry; a
     * trailing dot is dropped.
     *
     * @param peerHost the host connected to
     * @return the name, or {@code null} for none
     */
    public SNIHostName sniName(String peerHost) {
        return sendSni ? TlsContext.sniName(peerHost) : null;
    }

    /** Copies the lists. */
    public TlsEngineSettings {
        certificates = List.copyOf(certificates);
        protocols = List.copyOf(protocols);
        cipherSuites = cipherSuites == null ? null : List.copyOf(cipherSuites);
        alpn = List.copyOf(alpn);
    }
}
