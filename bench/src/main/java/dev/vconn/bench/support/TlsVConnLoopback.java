package dev.vconn.bench.support;

import dev.vconn.domain.tls.TlsContext;
import dev.vconn.domain.tls.TlsSessionInfo;
import dev.vconn.domain.tls.TlsVConn;
import dev.vconn.ports.Transport;
import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Bulk plaintext through TLS: a {@link TlsVConn} client over one socket VConn writes, a {@link TlsVConn} server over
 * the accepted one reads and discards; both and their socket VConns run on the transport's single loop. The handshake
 * is done in the constructor, so only records are measured.
 */
public final class TlsVConnLoopback implements BulkPipe {
    private final Transport transport;
    private final Sources.Shared source;
    private final StreamRig rig;
    private final TlsSessionInfo session;

    /** Opens {@code transportName} with one loop, connects a pair over loopback and runs the TLS handshake. */
    public TlsVConnLoopback(String transportName) throws IOException {
        this.transport = BenchTransports.open(transportName);
        try {
            Connections.Connected c = Connections.connect(transport);
            TlsContext clientContext = BenchTls.clientContext();
            TlsContext serverContext = BenchTls.serverContext();
            TlsVConn client = TlsVConn.client(c.client(), clientContext, transport.blockPool(), BenchTls.HOST, 443);
            TlsVConn server = TlsVConn.server(c.server(), serverContext, transport.blockPool());
            server.startHandshake();
            this.session = client.startHandshake().get(30, TimeUnit.SECONDS);
            if (!BenchTls.CIPHER.equals(session.cipherSuite())) {
                throw new IllegalStateException("negotiated " + session + ", expected " + BenchTls.CIPHER);
            }
            this.source = Sources.shared(transport.blockPool(), VConnLoopback.QUEUED);
            this.rig = new StreamRig(client, server, transport.blockPool(), VConnLoopback.QUEUED, source,
                    Sources.discard());
        } catch (IOException | RuntimeException e) {
            transport.close();
            throw e;
        } catch (ExecutionException | TimeoutException e) {
            transport.close();
            throw new IOException("TLS handshake failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            transport.close();
            throw new IOException("interrupted during the TLS handshake", e);
        }
    }

    /** What the handshake negotiated. */
    public TlsSessionInfo session() {
        return session;
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
