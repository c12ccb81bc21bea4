package dev.vconn.netty.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.vconn.domain.tls.TlsKeyMaterial;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
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
}
