package dev.vconn.domain.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Event;
import dev.vconn.domain.testing.EventLog;
import java.net.Socket;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.KeyManagerFactorySpi;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The JDK engine's certificate choice: a server with one certificate chooses it without the context's PKIX key manager
 * (whose per-handshake algorithm check throws on a certificate without key usage, and whose fresh alias per choice
 * re-reads the key store entry); several certificates still go through it, for SNI.
 */
class TlsJdkKeyChoiceTest extends TlsFixture {
    /** The JDK engines over the context's settings, with the context's PKIX key manager wrapped to count choices. */
    static final class CountingChooser implements TlsEngineProvider {
        final AtomicInteger jdkServerChoices = new AtomicInteger();

        @Override
        public String name() {
            return "jdk-counting-chooser";
        }

        @Override
        public Engines engines(TlsEngineSettings s) {
            X509ExtendedKeyManager real = (X509ExtendedKeyManager) s.keyManagerFactory().getKeyManagers()[0];
            KeyManagerFactory counted = factory(new Counting(real));
            return TlsEngineProvider.jdk().engines(new TlsEngineSettings(s.role(), s.certificates(), counted,
                    s.trustManagerFactory(), s.customTrust(), s.protocols(), s.cipherSuites(), s.alpn(), s.clientAuth(),
                    s.verifyHostname(), s.sendSni()));
        }

        private final class Counting extends X509ExtendedKeyManager {
            private final X509ExtendedKeyManager real;

            Counting(X509ExtendedKeyManager real) {
                this.real = real;
            }

            @Override
            public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
                jdkServerChoices.incrementAndGet();
                return real.chooseEngineServerAlias(keyType, issuers, engine);
            }

            @Override
            public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
                jdkServerChoices.incrementAndGet();
                return real.chooseServerAlias(keyType, issuers, socket);
            }

            @Override
            public String[] getClientAliases(String keyType, Principal[] issuers) {
                return real.getClientAliases(keyType, issuers);
            }

            @Override
            public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
                return real.chooseClientAlias(keyType, issuers, socket);
            }

            @Override
            public String[] getServerAliases(String keyType, Principal[] issuers) {
                return real.getServerAliases(keyType, issuers);
            }

            @Override
            public X509Certificate[] getCertificateChain(String alias) {
                return real.getCertificateChain(alias);
            }

            @Override
            public PrivateKey getPrivateKey(String alias) {
                return real.getPrivateKey(alias);
            }
        }

        private static KeyManagerFactory factory(X509ExtendedKeyManager manager) {
            return new KeyManagerFactory(new KeyManagerFactorySpi() {
                @Override
                protected void engineInit(KeyStore ks, char[] password) {
                }

                @Override
                protected void engineInit(ManagerFactoryParameters spec) {
                }

                @Override
                protected KeyManager[] engineGetKeyManagers() {
                    return new KeyManager[] {manager};
                }
            }, new Provider("vconn-test-counting", "1", "counts the JDK's certificate choices") {
            }, "counting") {
            };
        }
    }

    void handshakeAndSend(TlsContext client, TlsContext server, String host) {
        Conn c = connect(client, server, host);
        Collector atServer = new Collector(c.server(), 1);
        send(c.client(), new EventLog(), "x");
        run();
        assertEquals(Event.READ_COMPLETE, atServer.log.last().event(), c.client().error() + " / " + c.server().error());
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void one_certificate_is_chosen_without_the_jdks_chooser(String protocol) {
        CountingChooser counting = new CountingChooser();
        TlsContext server = serverContext().engine(counting).build();
        for (int i = 0; i < 3; i++) {
            handshakeAndSend(clientContext().protocols(protocol).build(), server, "localhost");
        }
        assertEquals(0, counting.jdkServerChoices.get(), "the JDK's chooser is not asked");
    }

    @Test
    void one_rsa_certificate_is_chosen_without_the_jdks_chooser_too() {
        CountingChooser counting = new CountingChooser();
        TlsContext server = TlsContext.server().certificate(res("rsa.pem"), res("rsa.key"))
                .delegatedTaskExecutor(direct).engine(counting).build();
        for (String protocol : new String[] {"TLSv1.3", "TLSv1.2"}) {
            handshakeAndSend(clientContext().protocols(protocol).build(), server, "rsa.test");
        }
        assertEquals(0, counting.jdkServerChoices.get());
    }

    @Test
    void several_certificates_still_go_through_the_jdks_chooser_for_sni() {
        CountingChooser counting = new CountingChooser();
        TlsContext server = serverContext().certificate(res("other.pem"), res("other-encrypted.key"),
                "test-secret".toCharArray()).engine(counting).build();
        handshakeAndSend(clientContext().build(), server, "localhost");
        assertTrue(counting.jdkServerChoices.get() > 0);
    }
}
