package dev.vconn.domain.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * The JDK engine's key manager for a server with exactly one certificate: the server's choice is answered here, the
 * rest goes to the context's PKIX key manager. The JDK's chooser picks that certificate whenever its key type
 * matches (an expired one or one with an unsuitable key usage only ranks lower, with nothing to rank it against) and
 * the chain's signature algorithms are among the client's; that check runs on every handshake (for a certificate
 * without the key-usage extension it throws four exceptions), and each choice gets a new name, so the key is read out
 * of its key store again on every handshake. Here the key and chain come straight from the context's
 * {@link TlsKeyMaterial} and the key types the certificate fits are worked out once; a chain the client's algorithm
 * list excludes is sent anyway (as RFC 8446, section 4.4.2.2, allows), and a client that cannot use it fails the
 * handshake in its own certificate check instead of the server finding no certificate (docs/tls.md).
 */
final class OneCertificateKeyManager extends X509ExtendedKeyManager {
    private static final String ALIAS = "vconn-only-certificate";

    private final X509ExtendedKeyManager jdk;
    private final PrivateKey key;
    private final X509Certificate[] chain;
    private final String keyAlgorithm;
    /** The key algorithm of the certificate that signed the leaf; null for a self-signed or bare leaf. */
    private final String signerAlgorithm;
    /** The leaf's signature algorithm in upper case ({@code SHA256WITHECDSA}). */
    private final String signatureAlgorithm;

    OneCertificateKeyManager(X509ExtendedKeyManager jdk, TlsKeyMaterial material) {
        this.jdk = Objects.requireNonNull(jdk, "jdk");
        this.key = material.privateKey();
        List<X509Certificate> certs = material.chain();
        this.chain = certs.toArray(X509Certificate[]::new);
        this.keyAlgorithm = certs.get(0).getPublicKey().getAlgorithm();
        this.signerAlgorithm = certs.size() > 1 ? certs.get(1).getPublicKey().getAlgorithm() : null;
        this.signatureAlgorithm = certs.get(0).getSigAlgName().toUpperCase(Locale.ROOT);
    }

    /**
     * Whether the certificate fits {@code keyType}: a key algorithm ({@code EC}, {@code RSA}), optionally followed by
     * {@code _} and the algorithm of the key that signed the certificate ({@code EC_RSA}), as the JDK names them.
     */
    boolean fits(String keyType) {
        if (keyType == null) {
            return false;
        }
        int underscore = keyType.indexOf('_');
        int keyEnd = underscore < 0 ? keyType.length() : underscore;
        if (keyEnd != keyAlgorithm.length() || !keyType.startsWith(keyAlgorithm)) {
            return false;
        }
        if (underscore < 0) {
            return true;
        }
        String signer = keyType.substring(underscore + 1);
        if (signerAlgorithm != null) {
            return signerAlgorithm.equals(signer);
        }
        // A self-signed or bare leaf: its signature algorithm's name says the signer's key type (SHA256withECDSA).
        return signatureAlgorithm.contains("WITH" + signer.toUpperCase(Locale.ROOT));
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return fits(keyType) ? ALIAS : null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return fits(keyType) ? ALIAS : null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return ALIAS.equals(alias) ? chain.clone() : jdk.getCertificateChain(alias);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return ALIAS.equals(alias) ? key : jdk.getPrivateKey(alias);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return fits(keyType) ? new String[] {ALIAS} : null;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return jdk.getClientAliases(keyType, issuers);
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return jdk.chooseClientAlias(keyType, issuers, socket);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return jdk.chooseEngineClientAlias(keyType, issuers, engine);
    }
}
