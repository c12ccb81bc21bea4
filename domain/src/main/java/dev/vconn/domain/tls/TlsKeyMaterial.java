package dev.vconn.domain.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.EncryptedPrivateKeyInfo;
import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * A private key and its certificate chain (leaf first), checked to belong together: what a server presents, or a
 * client presents when the server asks for a certificate.
 *
 * <p>Loaded from PEM files (a PKCS#8 {@code PRIVATE KEY}, or an {@code ENCRYPTED PRIVATE KEY} with its password, and
 * a chain of {@code CERTIFICATE} blocks) or from a Java {@link KeyStore} entry. Every failure is a
 * {@link TlsConfigException} naming the file or alias and the reason.
 */
public final class TlsKeyMaterial {
    private static final Pattern PEM_BLOCK =
            Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*)-----END \\1-----");

    private final PrivateKey key;
    private final List<X509Certificate> chain;

    private TlsKeyMaterial(PrivateKey key, List<X509Certificate> chain) {
        this.key = key;
        this.chain = List.copyOf(chain);
    }

    /**
     * Loads an unencrypted PKCS#8 key and a certificate chain from PEM files.
     *
     * @throws TlsConfigException if a file cannot be read or parsed, or the key does not match the leaf certificate
     */
    public static TlsKeyMaterial fromPem(Path chainFile, Path keyFile) {
        return fromPem(chainFile, keyFile, null);
    }

    /**
     * Loads a PKCS#8 key ({@code ENCRYPTED PRIVATE KEY} if {@code password} is given) and a certificate chain from
     * PEM files.
     *
     * @param password the key's password, or {@code null} for an unencrypted key
     * @throws TlsConfigException if a file cannot be read or parsed, the password is missing or wrong, or the key
     *     does not match the leaf certificate
     */
    public static TlsKeyMaterial fromPem(Path chainFile, Path keyFile, char[] password) {
        List<X509Certificate> chain = readCertificates(chainFile);
        PrivateKey key = readPrivateKey(keyFile, password, chain.get(0).getPublicKey().getAlgorithm(), chainFile);
        checkMatch(key, chain.get(0), "key file " + keyFile + " does not match the certificate in " + chainFile);
        return new TlsKeyMaterial(key, chain);
    }

    /**
     * Takes the key entry {@code alias} of a key store.
     *
     * @throws TlsConfigException if there is no such key entry, the password is wrong, or the key does not match
     */
    public static TlsKeyMaterial fromKeyStore(KeyStore keyStore, String alias, char[] keyPassword) {
        Objects.requireNonNull(keyStore, "keyStore");
        Objects.requireNonNull(alias, "alias");
        try {
            Key key = keyStore.getKey(alias, keyPassword);
            if (!(key instanceof PrivateKey privateKey)) {
                throw new TlsConfigException("key store has no private key entry named '" + alias + "'");
            }
            Certificate[] certs = keyStore.getCertificateChain(alias);
            if (certs == null || certs.length == 0) {
                throw new TlsConfigException("key store entry '" + alias + "' has no certificate chain");
            }
            List<X509Certificate> chain = new ArrayList<>();
            for (Certificate c : certs) {
                chain.add((X509Certificate) c);
            }
            checkMatch(privateKey, chain.get(0), "key store entry '" + alias + "': key does not match its certificate");
            return new TlsKeyMaterial(privateKey, chain);
        } catch (GeneralSecurityException e) {
            throw new TlsConfigException("cannot read key store entry '" + alias + "': " + e.getMessage(), e);
        }
    }

    /**
     * Loads a key store file ({@code PKCS12} or {@code JKS}) and takes its key entry {@code alias}.
     *
     * @throws TlsConfigException if the file cannot be read, the password is wrong, or the entry is missing
     */
    public static TlsKeyMaterial fromKeyStoreFile(Path file, String type, char[] storePassword, String alias,
            char[] keyPassword) {
        return fromKeyStore(loadKeyStore(file, type, storePassword), alias, keyPassword);
    }

    /** The private key. */
    public PrivateKey privateKey() {
        return key;
    }

    /** The certificate chain, leaf first. */
    public List<X509Certificate> chain() {
        return chain;
    }

    /** The leaf certificate. */
    public X509Certificate leaf() {
        return chain.get(0);
    }

    // ---------------------------------------------------------------------------------------------------------
    // File helpers shared with TlsContext

    static KeyStore loadKeyStore(Path file, String type, char[] storePassword) {
        Objects.requireNonNull(file, "file");
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore ks = KeyStore.getInstance(type);
            ks.load(in, storePassword);
            return ks;
        } catch (IOException | GeneralSecurityException e) {
            throw new TlsConfigException("cannot read " + type + " key store " + file + ": " + e.getMessage(), e);
        }
    }

    /** Every certificate of a PEM file, in file order; at least one. */
    static List<X509Certificate> readCertificates(Path file) {
        Objects.requireNonNull(file, "file");
        byte[] bytes = readFile(file, "certificate file");
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            List<X509Certificate> certs = new ArrayList<>();
            for (Certificate c : factory.generateCertificates(new ByteArrayInputStream(bytes))) {
                certs.add((X509Certificate) c);
            }
            if (certs.isEmpty()) {
                throw new TlsConfigException("certificate file " + file + " holds no certificate");
            }
            return certs;
        } catch (CertificateException e) {
            throw new TlsConfigException("certificate file " + file + " is not a PEM certificate chain: "
                    + e.getMessage(), e);
        }
    }

    private static PrivateKey readPrivateKey(Path file, char[] password, String algorithm, Path chainFile) {
        String text = new String(readFile(file, "key file"), StandardCharsets.US_ASCII);
        Matcher m = PEM_BLOCK.matcher(text);
        while (m.find()) {
            String type = m.group(1);
            byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(m.group(2));
            } catch (IllegalArgumentException e) {
                throw new TlsConfigException("key file " + file + ": the " + type + " block is not valid base64", e);
            }
            switch (type) {
                case "PRIVATE KEY" -> {
                    return toKey(new PKCS8EncodedKeySpec(der), algorithm, file, chainFile);
                }
                case "ENCRYPTED PRIVATE KEY" -> {
                    if (password == null) {
                        throw new TlsConfigException("key file " + file + " holds an encrypted key; a password is needed");
                    }
                    return toKey(decrypt(der, password, file), algorithm, file, chainFile);
                }
                case "RSA PRIVATE KEY", "EC PRIVATE KEY" -> throw new TlsConfigException("key file " + file
                        + " holds a " + type + " (PKCS#1/SEC1), not PKCS#8; convert it with"
                        + " 'openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8'");
                default -> {
                    // Other blocks (parameters, certificates) may precede the key.
                }
            }
        }
        throw new TlsConfigException("key file " + file + " holds no PEM 'PRIVATE KEY' or 'ENCRYPTED PRIVATE KEY'");
    }

    private static PKCS8EncodedKeySpec decrypt(byte[] der, char[] password, Path file) {
        try {
            EncryptedPrivateKeyInfo info = new EncryptedPrivateKeyInfo(der);
            AlgorithmParameters params = info.getAlgParameters();
            // For PBES2 the parameters name the real scheme (e.g. PBEWithHmacSHA256AndAES_256).
            String scheme = params != null ? params.toString() : info.getAlgName();
            SecretKey pbeKey = SecretKeyFactory.getInstance(scheme).generateSecret(new PBEKeySpec(password));
            Cipher cipher = Cipher.getInstance(scheme);
            cipher.init(Cipher.DECRYPT_MODE, pbeKey, params);
            return info.getKeySpec(cipher);
        } catch (IOException | GeneralSecurityException e) {
            throw new TlsConfigException("key file " + file + ": cannot decrypt the key (wrong password or unsupported"
                    + " encryption): " + e.getMessage(), e);
        }
    }

    private static PrivateKey toKey(PKCS8EncodedKeySpec spec, String algorithm, Path file, Path chainFile) {
        try {
            return KeyFactory.getInstance(algorithm).generatePrivate(spec);
        } catch (GeneralSecurityException e) {
            throw new TlsConfigException("key file " + file + " does not match the certificate in " + chainFile
                    + ": the certificate has an " + algorithm + " public key, the file no " + algorithm
                    + " private key (" + e.getMessage() + ")", e);
        }
    }

    private static byte[] readFile(Path file, String what) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new TlsConfigException("cannot read " + what + " " + file + ": " + e, e);
        }
    }

    /** Proves that {@code key} belongs to {@code cert} by signing a challenge and verifying with the certificate. */
    private static void checkMatch(PrivateKey key, X509Certificate cert, String mismatch) {
        PublicKey publicKey = cert.getPublicKey();
        String signatureAlgorithm = switch (publicKey.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
            case "DSA" -> "SHA256withDSA";
            default -> null; // e.g. RSASSA-PSS keys: left to the handshake
        };
        if (signatureAlgorithm == null) {
            return;
        }
        byte[] challenge = "vconn key check".getBytes(StandardCharsets.US_ASCII);
        boolean ok;
        try {
            Signature signer = Signature.getInstance(signatureAlgorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(signatureAlgorithm);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            ok = verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            ok = false;
        }
        if (!ok) {
            throw new TlsConfigException(mismatch + " (the private key does not belong to the certificate's public key)");
        }
    }

    @Override
    public String toString() {
        return "TlsKeyMaterial[" + leaf().getSubjectX500Principal().getName() + ", chain of " + chain.size() + "]";
    }
}
