package dev.vconn.domain.tls;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * What a finished TLS handshake negotiated, as seen by one side.
 *
 * @param protocol            the protocol version, e.g. {@code TLSv1.3}
 * @param cipherSuite         the cipher suite, e.g. {@code TLS_AES_128_GCM_SHA256}
 * @param applicationProtocol the ALPN protocol agreed on (e.g. {@code http/1.1}), or {@code ""} if none
 * @param serverName          the SNI server name: on a server the name the client asked for, on a client the name it
 *                            sent; {@code ""} if none
 * @param peerCertificates    the peer's certificate chain, leaf first; empty if the peer sent none
 */
public record TlsSessionInfo(String protocol, String cipherSuite, String applicationProtocol, String serverName,
        List<X509Certificate> peerCertificates) {
    /** Validates and copies the chain. */
    public TlsSessionInfo {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(cipherSuite, "cipherSuite");
        Objects.requireNonNull(applicationProtocol, "applicationProtocol");
        Objects.requireNonNull(serverName, "serverName");
        peerCertificates = List.copyOf(peerCertificates);
    }

    /** The subject of the peer's leaf certificate (RFC 2253 form), or {@code ""} if the peer sent none. */
    public String peerSubject() {
        return peerCertificates.isEmpty() ? "" : peerCertificates.get(0).getSubjectX500Principal().getName();
    }
}
