package dev.vconn.domain.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import dev.vconn.domain.pair.VConnPair;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Building TLS configuration: PEM and key store loading, and clear errors for what cannot work. */
class TlsContextTest {
    @TempDir
    Path dir;

    static Path res(String name) {
        return TlsFixture.res(name);
    }

    static void assertMessage(Throwable e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' in: " + e.getMessage());
        }
    }

    @Test
    void a_pkcs8_key_and_chain_load_and_the_chain_is_kept_leaf_first() {
        TlsKeyMaterial m = TlsKeyMaterial.fromPem(res("server.pem"), res("server.key"));
        assertEquals(2, m.chain().size());
        assertEquals("CN=localhost", m.leaf().getSubjectX500Principal().getName());
        assertEquals("CN=vconn test CA", m.chain().get(1).getSubjectX500Principal().getName());
        assertEquals("EC", m.privateKey().getAlgorithm());
        assertEquals("RSA", TlsKeyMaterial.fromPem(res("rsa.pem"), res("rsa.key")).privateKey().getAlgorithm());
    }

    @Test
    void an_encrypted_pkcs8_key_loads_with_its_password_and_fails_clearly_without_or_with_a_wrong_one() {
        TlsKeyMaterial m = TlsKeyMaterial.fromPem(res("other.pem"), res("other-encrypted.key"),
                "test-secret".toCharArray());
        assertEquals("CN=other.test", m.leaf().getSubjectX500Principal().getName());

        TlsConfigException none = assertThrows(TlsConfigException.class,
                () -> TlsKeyMaterial.fromPem(res("other.pem"), res("other-encrypted.key")));
        assertMessage(none, "other-encrypted.key", "encrypted key", "password");
        TlsConfigException wrong = assertThrows(TlsConfigException.class,
                () -> TlsKeyMaterial.fromPem(res("other.pem"), res("other-encrypted.key"), "nope".toCharArray()));
        assertMessage(wrong, "other-encrypted.key", "cannot decrypt");
    }

    @Test
    void a_key_that_does_not_match_the_certificate_is_refused_naming_both_files() {
        TlsConfigException e = assertThrows(TlsConfigException.class,
                () -> TlsKeyMaterial.fromPem(res("server.pem"), res("client.key")));
        assertMessage(e, "client.key", "server.pem", "does not match");
        TlsConfigException rsa = assertThrows(TlsConfigException.class,
                () -> TlsKeyMaterial.fromPem(res("server.pem"), res("rsa.key")));
        assertMessage(rsa, "rsa.key", "server.pem");
    }

    @Test
    void unreadable_or_malformed_files_are_named() throws Exception {
        Path missing = dir.resolve("missing.pem");
        assertMessage(assertThrows(TlsConfigException.class, () -> TlsKeyMaterial.fromPem(missing, res("server.key"))),
                "cannot read certificate file", "missing.pem");
        assertMessage(assertThrows(TlsConfigException.class, () -> TlsKeyMaterial.fromPem(res("server.pem"), missing)),
                "cannot read key file", "missing.pem");

        Path empty = Files.writeString(dir.resolve("empty.pem"), "nothing here\n");
        assertMessage(assertThrows(TlsConfigException.class, () -> TlsKeyMaterial.fromPem(empty, res("server.key"))),
                "empty.pem");
        assertMessage(assertThrows(TlsConfigException.class, () -> TlsKeyMaterial.fromPem(res("server.pem"), empty)),
                "empty.pem", "no PEM 'PRIVATE KEY'");

        Path sec1 = Files.writeString(dir.resolve("sec1.key"),
                "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n", StandardCharsets.US_ASCII);
        assertMessage(assertThrows(TlsConfigException.class, () -> TlsKeyMaterial.fromPem(res("server.pem"), sec1)),
                "sec1.key", "not PKCS#8", "openssl pkcs8 -topk8");
    }

    @Test
    void a_key_store_file_entry_loads_and_a_missing_alias_is_named() throws Exception {
        TlsKeyMaterial pem = TlsKeyMaterial.fromPem(res("server.pem"), res("server.key"));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("web", pem.privateKey(), "kp".toCharArray(), pem.chain().toArray(X509Certificate[]::new));
        Path file = dir.resolve("server.p12");
        try (OutputStream out = Files.newOutputStream(file)) {
            ks.store(out, "sp".toCharArray());
        }
        TlsKeyMaterial m = TlsKeyMaterial.fromKeyStoreFile(file, "PKCS12", "sp".toCharArray(), "web",
                "kp".toCharArray());
        assertEquals(pem.leaf(), m.leaf());
        assertMessage(assertThrows(TlsConfigException.class,
                () -> TlsKeyMaterial.fromKeyStoreFile(file, "PKCS12", "sp".toCharArray(), "mail", "kp".toCharArray())),
                "'mail'");
        assertMessage(assertThrows(TlsConfigException.class,
                () -> TlsKeyMaterial.fromKeyStoreFile(file, "PKCS12", "bad".toCharArray(), "web", "kp".toCharArray())),
                "server.p12");
    }

    @Test
    void only_tls_1_3_and_1_2_are_allowed_and_they_are_the_default() {
        assertEquals(java.util.List.of("TLSv1.3", "TLSv1.2"), TlsContext.client().build().protocols());
        assertMessage(assertThrows(IllegalArgumentException.class, () -> TlsContext.client().protocols("TLSv1.1")),
                "TLSv1.1", "not allowed");
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> TlsContext.client().cipherSuites("TLS_NO_SUCH_SUITE").build()), "TLS_NO_SUCH_SUITE");
    }

    @Test
    void a_server_needs_a_certificate_and_client_auth_needs_a_trust_store() {
        assertMessage(assertThrows(IllegalStateException.class, () -> TlsContext.server().build()), "certificate");
        assertMessage(assertThrows(IllegalStateException.class, () -> TlsContext.server()
                .certificate(res("server.pem"), res("server.key")).clientAuth(TlsContext.ClientAuth.NEED).build()),
                "trust store");
    }

    @Test
    void defaults_are_hostname_verification_on_alpn_http_1_1_and_no_client_auth() {
        TlsContext client = TlsContext.client().build();
        assertTrue(client.verifyHostname());
        assertEquals(java.util.List.of("http/1.1"), client.alpn());
        TlsContext server = TlsContext.server().certificate(res("server.pem"), res("server.key")).build();
        assertEquals(TlsContext.ClientAuth.NONE, server.clientAuth());
        VConnPair pair = VConnPair.open(new VirtualTimeEventLoop(), VConnPair.Options.defaults());
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> TlsVConn.server(pair.passive(), client, new BlockPool())), "SERVER TlsContext");
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> TlsVConn.client(pair.active(), server, new BlockPool(), "localhost", 443)), "CLIENT TlsContext");
    }
}
