package dev.vconn.bench.support;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A throwaway self-signed EC certificate for {@code localhost}, made at setup with the JDK's own {@code keytool}
 * (so no key is ever committed), and what the TLS benchmarks build from it.
 *
 * @param keyStore the PKCS#12 store with the key entry {@link #ALIAS}
 */
public record BenchCertificate(KeyStore keyStore) {
    /** The key entry's alias. */
    public static final String ALIAS = "bench";
    /** The store and key password (throwaway material). */
    public static final char[] PASSWORD = "bench-only".toCharArray();

    /** Runs {@code keytool -genkeypair} into a temporary PKCS#12 file and loads it. */
    public static BenchCertificate selfSigned() throws IOException {
        Path dir = Files.createTempDirectory("vconn-bench-tls");
        Path file = dir.resolve("bench.p12");
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        List<String> command = List.of(keytool.toString(), "-genkeypair", "-alias", ALIAS, "-keyalg", "EC",
                "-groupname", "secp256r1", "-dname", "CN=localhost", "-ext", "san=dns:localhost", "-validity", "2",
                "-keystore", file.toString(), "-storetype", "PKCS12", "-storepass", new String(PASSWORD));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("keytool failed: " + out);
            }
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(file)) {
                ks.load(in, PASSWORD);
            }
            return new BenchCertificate(ks);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running keytool", e);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot load the bench key store: " + e, e);
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }

    /** A key store holding only the certificate, as a client's trust store. */
    public KeyStore trustStore() {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry(ALIAS, keyStore.getCertificate(ALIAS));
            return trust;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot build the bench trust store", e);
        }
    }

    /** A JDK {@link SSLContext} serving this certificate (server) and trusting it (client). */
    public SSLContext sslContext() {
        try {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keyStore, PASSWORD);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trustStore());
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build the bench SSLContext", e);
        }
    }
}
