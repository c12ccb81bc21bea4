package dev.vconn.inmemory;

import dev.vconn.domain.tls.TlsContext;
import java.net.URISyntaxException;
import java.nio.file.Path;

/**
 * The TLS contexts of the simulation's TLS scenarios: a server with an RSA certificate (its signatures have a fixed
 * length, so the records, and with them the fault plans' draws and the virtual times, are the same in every run of
 * a seed) and a client trusting its CA. Both run the engine's delegated tasks inline, on the loop (docs/tls.md,
 * "Threading"). Every run gets new contexts: a shared client context would resume an earlier run's session, and a
 * run would then depend on the runs before it, not only on its seed.
 */
final class SimulationTls {
    /** The name the client asks for (SNI) and checks in the server's certificate. */
    static final String SERVER_NAME = "rsa.test";

    record Contexts(TlsContext client, TlsContext server) {
    }

    private SimulationTls() {
    }

    /** New contexts for one run. */
    static Contexts contexts(SimulationScenario.Tls tls) {
        String protocol = switch (tls) {
            case TLS13 -> "TLSv1.3";
            case TLS12 -> "TLSv1.2";
            case NONE -> throw new IllegalArgumentException("no TLS contexts for a plain scenario");
        };
        TlsContext server = TlsContext.server().certificate(res("rsa.pem"), res("rsa.key")).protocols(protocol)
                .delegatedTaskExecutor(Runnable::run).build();
        TlsContext client = TlsContext.client().trustPem(res("ca.pem")).protocols(protocol)
                .delegatedTaskExecutor(Runnable::run).build();
        return new Contexts(client, server);
    }

    private static Path res(String name) {
        try {
            return Path.of(SimulationTls.class.getResource("/tls-sim/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("test resource tls-sim/" + name + " missing", e);
        }
    }
}
