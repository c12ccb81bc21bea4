package dev.vconn.inmemory;

import dev.vconn.domain.tls.TlsContext;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

/**
 * The TLS contexts of the simulation's TLS scenarios, built once: a server with an RSA certificate (its
 * signatures have a fixed length, so the records, and with them the fault plans' draws and the virtual times, are
 * the same in every run of a seed) and a client trusting its CA. Both run the engine's delegated tasks inline, on
 * the loop, so that a run stays a pure function of its seed (docs/tls.md, "Threading").
 */
final class SimulationTls {
    /** The name the client asks for (SNI) and checks in the server's certificate. */
    static final String SERVER_NAME = "rsa.test";

    record Contexts(TlsContext client, TlsContext server) {
    }

    private static final Map<SimulationScenario.Tls, Contexts> CONTEXTS = new EnumMap<>(SimulationScenario.Tls.class);

    private SimulationTls() {
    }

    static synchronized Contexts contexts(SimulationScenario.Tls tls) {
        return CONTEXTS.computeIfAbsent(tls, t -> {
            String protocol = switch (t) {
                case TLS13 -> "TLSv1.3";
                case TLS12 -> "TLSv1.2";
                case NONE -> throw new IllegalArgumentException("no TLS contexts for a plain scenario");
            };
            TlsContext server = TlsContext.server().certificate(res("rsa.pem"), res("rsa.key")).protocols(protocol)
                    .delegatedTaskExecutor(Runnable::run).build();
            TlsContext client = TlsContext.client().trustPem(res("ca.pem")).protocols(protocol)
                    .delegatedTaskExecutor(Runnable::run).build();
            return new Contexts(client, server);
        });
    }

    private static Path res(String name) {
        try {
            return Path.of(SimulationTls.class.getResource("/tls-sim/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("test resource tls-sim/" + name + " missing", e);
        }
    }
}
