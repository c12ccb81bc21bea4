package dev.vconn.bench.support;

import dev.vconn.domain.tls.TlsContext;
import dev.vconn.domain.tls.TlsKeyMaterial;
import dev.vconn.ports.TlsOptions;
import dev.vconn.ports.Transport;
import java.io.IOException;

/**
 * Bulk bytes through two {@code TlsVConn}s over socket VConns of one transport (a TLS listener and a TLS connect):
 * the client end writes plaintext (shared blocks, encrypted straight from them), the accepted end decrypts and
 * discards, on the transport's single loop. The certificate is a throwaway one ({@link BenchCertificate}).
 */
public final class TlsLoopback implements BulkPipe {
    private final Transport transport;
    private final Sources.Shared source;
    private final StreamRig rig;

    /** Opens {@code transportName} with one loop and connects a TLS pair over loopback (handshake included). */
    public TlsLoopback(String transportName, BenchCertificate certificate) throws IOException {
        this.transport = BenchTransports.open(transportName);
        try {
            // Delegated tasks on the loop: the handshake is setup, not what is measured.
            TlsContext server = TlsContext.server().certificate(TlsKeyMaterial.fromKeyStore(certificate.keyStore(),
                    BenchCertificate.ALIAS, BenchCertificate.PASSWORD)).delegatedTaskExecutor(Runnable::run).build();
            TlsContext client = TlsContext.client().trustStore(certificate.trustStore())
                    .delegatedTaskExecutor(Runnable::run).build();
            Connections.Connected c = Connections.connect(transport, TlsOptions.server(server, transport.blockPool()),
                    TlsOptions.client(client, transport.blockPool(), "localhost", 443));
            this.source = Sources.shared(transport.blockPool(), VConnLoopback.QUEUED);
            this.rig = new StreamRig(c.client(), c.server(), transport.blockPool(), VConnLoopback.QUEUED, source,
                    Sources.discard());
        } catch (IOException | RuntimeException e) {
            transport.close();
            throw e;
        }
    }

    @Override
    public void transfer(long bytes) {
        rig.transfer(bytes);
    }

    @Override
    public void close() {
        rig.close();
        source.close();
        transport.close();
    }
}
