package dev.vconn.netty.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.vconn.domain.tls.TlsKeyMaterial;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.KeyStore;
import java.security.KeyStoreSpi;
import java.security.NoSuchAlgorithmException;
import java.security.NoSuchProviderException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SignatureException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.Date;
import java.util.Enumeration;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The openssl engine's key manager: one certificate is chosen without the JDK's chooser (and its per-handshake
 * algorithm check); several go through it, named by their index.
 */
class StableAliasKeyManagerTest {
    @TempDir
    Path dir;

    @Test
    void the_only_certificate_is_chosen_for_its_key_type_without_asking_the_jdk() {
        CountingJdkChooser jdk = new CountingJdkChooser("1.0.key");
        TlsKeyMaterial server = material("server");
        StableAliasKeyManager km = new StableAliasKeyManager(jdk, List.of(server));

        assertEquals("cert-0", km.chooseEngineServerAlias("EC", null, null));
        assertEquals("cert-0", km.chooseEngineServerAlias("EC_EC", null, null), "an EC key signed by an EC key");
        assertEquals("cert-0", km.chooseServerAlias("EC", null, null));
        assertEquals(0, jdk.calls, "the JDK's chooser is not asked");
        assertArrayEquals(server.chain().toArray(X509Certificate[]::new), km.getCertificateChain("cert-0"));
        assertEquals(server.privateKey(), km.getPrivateKey("cert-0"));
    }

    @Test
    void the_only_certificate_is_not_offered_for_a_key_type_it_does_not_have() {
        CountingJdkChooser jdk = new CountingJdkChooser("1.0.key");
        StableAliasKeyManager km = new StableAliasKeyManager(jdk, List.of(material("server")));

        assertNull(km.chooseEngineServerAlias("RSA", null, null));
        assertNull(km.chooseEngineServerAlias("EC_RSA", null, null), "an EC key, but signed by an EC key, not RSA");
        assertNull(km.chooseEngineServerAlias(null, null, null));
        assertEquals(0, jdk.calls);
    }

    @Test
    void several_certificates_go_through_the_jdks_chooser_named_by_their_index() {
        CountingJdkChooser jdk = new CountingJdkChooser("7.1.key");
        StableAliasKeyManager km = new StableAliasKeyManager(jdk, List.of(material("server"), material("other")));

        assertEquals("cert-1", km.chooseEngineServerAlias("EC", null, null));
        assertEquals(1, jdk.calls);
    }

    @Test
    void the_only_certificate_is_read_once_not_on_every_handshake() throws Exception {
        TlsKeyMaterial real = material("server");
        CountingCertificate leaf = new CountingCertificate(real.chain().get(0));
        TlsKeyMaterial counted = TlsKeyMaterial.fromKeyStore(oneEntry(real.privateKey(), leaf), "k", new char[0]);
        StableAliasKeyManager km = new StableAliasKeyManager(new CountingJdkChooser("1.0.key"), List.of(counted));
        int readsBefore = leaf.reads;

        for (int handshake = 0; handshake < 5; handshake++) {
            // What Netty asks per handshake: key types in turn until one fits.
            assertNull(km.chooseEngineServerAlias("RSA", null, null));
            assertNull(km.chooseEngineServerAlias("EC_RSA", null, null));
            assertEquals("cert-0", km.chooseEngineServerAlias("EC_EC", null, null));
            assertEquals("cert-0", km.chooseEngineServerAlias("EC", null, null));
        }
        assertEquals(readsBefore, leaf.reads, "the certificate's key and signature algorithm are not decoded again");
    }

    /** A key store holding one key entry {@code k}, whose chain is {@code leaf} as it is (no re-encoding). */
    private static KeyStore oneEntry(PrivateKey key, X509Certificate leaf) throws Exception {
        KeyStoreSpi spi = new KeyStoreSpi() {
            @Override
            public Key engineGetKey(String alias, char[] password) {
                return "k".equals(alias) ? key : null;
            }

            @Override
            public Certificate[] engineGetCertificateChain(String alias) {
                return "k".equals(alias) ? new Certificate[] {leaf} : null;
            }

            @Override
            public Certificate engineGetCertificate(String alias) {
                return "k".equals(alias) ? leaf : null;
            }

            @Override
            public Date engineGetCreationDate(String alias) {
                return null;
            }

            @Override
            public void engineSetKeyEntry(String alias, Key k, char[] password, Certificate[] chain) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void engineSetKeyEntry(String alias, byte[] k, Certificate[] chain) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void engineSetCertificateEntry(String alias, Certificate cert) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void engineDeleteEntry(String alias) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Enumeration<String> engineAliases() {
                return Collections.enumeration(List.of("k"));
            }

            @Override
            public boolean engineContainsAlias(String alias) {
                return "k".equals(alias);
            }

            @Override
            public int engineSize() {
                return 1;
            }

            @Override
            public boolean engineIsKeyEntry(String alias) {
                return "k".equals(alias);
            }

            @Override
            public boolean engineIsCertificateEntry(String alias) {
                return false;
            }

            @Override
            public String engineGetCertificateAlias(Certificate cert) {
                return cert == leaf ? "k" : null;
            }

            @Override
            public void engineStore(OutputStream stream, char[] password) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void engineLoad(InputStream stream, char[] password) {
            }
        };
        KeyStore store = new KeyStore(spi, null, "one-entry") {
        };
        store.load(null, null);
        return store;
    }

    private TlsKeyMaterial material(String name) {
        String key = name.equals("other") ? "other-encrypted.key" : name + ".key";
        Path pem = copy(name + ".pem");
        Path keyFile = copy(key);
        try {
            return name.equals("other") ? TlsKeyMaterial.fromPem(pem, keyFile, "test-secret".toCharArray())
                    : TlsKeyMaterial.fromPem(pem, keyFile);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** A test certificate from the contract kit's resources (test-only material). */
    private Path copy(String name) {
        try (InputStream in = StableAliasKeyManagerTest.class.getResourceAsStream("/tls/" + name)) {
            if (in == null) {
                throw new IllegalStateException("test resource tls/" + name + " missing");
            }
            Path file = dir.resolve(name);
            Files.copy(in, file);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stands in for the JDK's key manager: answers one alias in the JDK's naming and counts the server choices. */
    private static final class CountingJdkChooser extends X509ExtendedKeyManager {
        private final String alias;
        int calls;

        CountingJdkChooser(String alias) {
            this.alias = alias;
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            calls++;
            return alias;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            calls++;
            return alias;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return null;
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return null;
        }
    }
    /** A certificate that counts how often its key and signature algorithm are read; everything else delegated. */
    private static final class CountingCertificate extends X509Certificate {
        private final X509Certificate real;
        int reads;

        CountingCertificate(X509Certificate real) {
            this.real = real;
        }

        @Override
        public PublicKey getPublicKey() {
            reads++;
            return real.getPublicKey();
        }

        @Override
        public String getSigAlgName() {
            reads++;
            return real.getSigAlgName();
        }

        @Override
        public void checkValidity() throws CertificateExpiredException, CertificateNotYetValidException {
            real.checkValidity();
        }

        @Override
        public void checkValidity(Date date) throws CertificateExpiredException, CertificateNotYetValidException {
            real.checkValidity(date);
        }

        @Override
        public int getVersion() {
            return real.getVersion();
        }

        @Override
        public BigInteger getSerialNumber() {
            return real.getSerialNumber();
        }

        @Override
        @SuppressWarnings("deprecation")
        public Principal getIssuerDN() {
            return real.getIssuerDN();
        }

        @Override
        @SuppressWarnings("deprecation")
        public Principal getSubjectDN() {
            return real.getSubjectDN();
        }

        @Override
        public X500Principal getSubjectX500Principal() {
            return real.getSubjectX500Principal();
        }

        @Override
        public X500Principal getIssuerX500Principal() {
            return real.getIssuerX500Principal();
        }

        @Override
        public Date getNotBefore() {
            return real.getNotBefore();
        }

        @Override
        public Date getNotAfter() {
            return real.getNotAfter();
        }

        @Override
        public byte[] getTBSCertificate() throws CertificateEncodingException {
            return real.getTBSCertificate();
        }

        @Override
        public byte[] getSignature() {
            return real.getSignature();
        }

        @Override
        public String getSigAlgOID() {
            return real.getSigAlgOID();
        }

        @Override
        public byte[] getSigAlgParams() {
            return real.getSigAlgParams();
        }

        @Override
        public boolean[] getIssuerUniqueID() {
            return real.getIssuerUniqueID();
        }

        @Override
        public boolean[] getSubjectUniqueID() {
            return real.getSubjectUniqueID();
        }

        @Override
        public boolean[] getKeyUsage() {
            return real.getKeyUsage();
        }

        @Override
        public int getBasicConstraints() {
            return real.getBasicConstraints();
        }

        @Override
        public byte[] getEncoded() throws CertificateEncodingException {
            return real.getEncoded();
        }

        @Override
        public void verify(PublicKey key) throws CertificateException, NoSuchAlgorithmException, InvalidKeyException,
                NoSuchProviderException, SignatureException {
            real.verify(key);
        }

        @Override
        public void verify(PublicKey key, String sigProvider) throws CertificateException, NoSuchAlgorithmException,
                InvalidKeyException, NoSuchProviderException, SignatureException {
            real.verify(key, sigProvider);
        }

        @Override
        public String toString() {
            return real.toString();
        }

        @Override
        public boolean hasUnsupportedCriticalExtension() {
            return real.hasUnsupportedCriticalExtension();
        }

        @Override
        public Set<String> getCriticalExtensionOIDs() {
            return real.getCriticalExtensionOIDs();
        }

        @Override
        public Set<String> getNonCriticalExtensionOIDs() {
            return real.getNonCriticalExtensionOIDs();
        }

        @Override
        public byte[] getExtensionValue(String oid) {
            return real.getExtensionValue(oid);
        }
    }
}
