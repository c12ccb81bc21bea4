package dev.vconn.netty.internal;

import dev.vconn.domain.tls.TlsKeyMaterial;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.KeyManagerFactorySpi;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * The context's PKIX key manager with one alias per certificate. The JDK's manager chooses (by key type and SNI, the
 * first certificate the default) and names every choice anew ({@code uid.storeIndex.alias}), so Netty's cache of
 * native key material, kept by alias, would miss on every handshake and re-encode the key and chain each time; here
 * the choice is still the JDK's, but it is named by its certificate's index ({@code cert-N}), and the key and chain
 * come from the context's certificates without reading a key store.
 *
 * <p>With exactly one certificate the server's choice is answered here, without the JDK's chooser: the JDK would
 * choose that certificate whenever its key type matches (an expired one or one with an unsuitable key usage only
 * ranks lower, and there is nothing to rank it against), and the check it adds, whether the chain's signatures use
 * algorithms the peer listed, costs a regex conversion of every peer algorithm name and, for a certificate without
 * the key-usage extension, several exceptions per handshake. A peer that cannot use the certificate still fails the
 * handshake, in BoringSSL's negotiation or in its own certificate check (docs/tls.md, Engines). Several
 * certificates still go through the JDK's chooser, which selects by SNI.
 */
final class StableAliasKeyManager extends X509ExtendedKeyManager {
    private static final String PREFIX = "cert-";
    private static final String ONLY_ALIAS = PREFIX + 0;

    private final X509ExtendedKeyManager jdk;
    private final List<TlsKeyMaterial> certificates;
    /** The one certificate's key types, or null when there are several (or none). */
    private final OnlyKey only;

    StableAliasKeyManager(X509ExtendedKeyManager jdk, List<TlsKeyMaterial> certificates) {
        this.jdk = Objects.requireNonNull(jdk, "jdk");
        this.certificates = List.copyOf(certificates);
        this.only = this.certificates.size() == 1 ? OnlyKey.of(this.certificates.get(0).chain()) : null;
    }

    /** The one certificate's alias if its key fits {@code keyType}, else null (no candidate). */
    private String onlyIfFits(String keyType) {
        return keyType != null && only.fits(keyType) ? ONLY_ALIAS : null;
    }

    /**
     * What the one certificate's key types are made of, read from the chain once (decoding a certificate's public
     * key is a lookup in its parsed fields, and Netty asks for several key types per handshake).
     *
     * @param keyAlgorithm the leaf's key algorithm ({@code EC}, {@code RSA})
     * @param signerAlgorithm the key algorithm of the certificate that signed the leaf, or null for a self-signed or
     *     bare leaf
     * @param signatureAlgorithm the leaf's signature algorithm name in upper case ({@code SHA256WITHECDSA})
     */
    record OnlyKey(String keyAlgorithm, String signerAlgorithm, String signatureAlgorithm) {
        static OnlyKey of(List<X509Certificate> chain) {
            X509Certificate leaf = chain.get(0);
            return new OnlyKey(leaf.getPublicKey().getAlgorithm(),
                    chain.size() > 1 ? chain.get(1).getPublicKey().getAlgorithm() : null,
                    leaf.getSigAlgName().toUpperCase(Locale.ROOT));
        }

        /**
         * Whether the key fits {@code keyType}: a key algorithm ({@code EC}, {@code RSA}), optionally followed by
         * {@code _} and the algorithm of the key that signed the certificate ({@code EC_RSA}), as the JDK's key
         * managers name them.
         */
        boolean fits(String keyType) {
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
    }

    /** A factory handing out this one key manager, for Netty's caching key-manager factory to wrap. */
    KeyManagerFactory factory() {
        KeyManager[] managers = {this};
        return new KeyManagerFactory(new KeyManagerFactorySpi() {
            @Override
            protected void engineInit(java.security.KeyStore ks, char[] password) {
            }

            @Override
            protected void engineInit(ManagerFactoryParameters spec) {
            }

            @Override
            protected KeyManager[] engineGetKeyManagers() {
                return managers.clone();
            }
        }, new Provider("vconn-stable-alias", "1", "the context's key manager with stable aliases") {
        }, "vconn-stable-alias") {
        };
    }

    /** The stable alias of the JDK's choice: the index of the key store it came from, one per certificate. */
    private String stable(String jdkAlias) {
        if (jdkAlias == null) {
            return null;
        }
        String[] parts = jdkAlias.split("\\.", 3);
        if (parts.length == 3) {
            try {
                int index = Integer.parseInt(parts[1]);
                if (index >= 0 && index < certificates.size()) {
                    return PREFIX + index;
                }
            } catch (NumberFormatException e) {
                // not the JDK's usual naming: found by its certificate below
            }
        }
        X509Certificate[] chain = jdk.getCertificateChain(jdkAlias);
        for (int i = 0; chain != null && chain.length > 0 && i < certificates.size(); i++) {
            if (certificates.get(i).chain().get(0).equals(chain[0])) {
                return PREFIX + i;
            }
        }
        return null;
    }

    private TlsKeyMaterial material(String alias) {
        if (alias == null || !alias.startsWith(PREFIX)) {
            return null;
        }
        try {
            int index = Integer.parseInt(alias.substring(PREFIX.length()));
            return index >= 0 && index < certificates.size() ? certificates.get(index) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private String[] stable(String[] jdkAliases) {
        return jdkAliases == null ? null
                : Arrays.stream(jdkAliases).map(this::stable).filter(Objects::nonNull).distinct().toArray(String[]::new);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return only != null ? onlyIfFits(keyType) : stable(jdk.chooseEngineServerAlias(keyType, issuers, engine));
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return stable(jdk.chooseEngineClientAlias(keyType, issuers, engine));
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return only != null ? onlyIfFits(keyType) : stable(jdk.chooseServerAlias(keyType, issuers, socket));
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return stable(jdk.chooseClientAlias(keyType, issuers, socket));
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return stable(jdk.getServerAliases(keyType, issuers));
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return stable(jdk.getClientAliases(keyType, issuers));
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        TlsKeyMaterial m = material(alias);
        return m == null ? null : m.chain().toArray(X509Certificate[]::new);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        TlsKeyMaterial m = material(alias);
        return m == null ? null : m.privateKey();
    }
}
