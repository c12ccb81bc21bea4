package dev.vconn.bench.support;

import dev.vconn.ports.Transport;
import java.io.IOException;

/**
 * Bulk bytes through two socket VConns of one transport: the client end writes (zero-copy, shared blocks), the
 * accepted end reads and discards, both driven by continuations on the transport's single loop.
 */
public final class VConnLoopback implements BulkPipe {
    /** Bytes the sender keeps queued: one gathering write's worth, like the raw baselines' write size. */
    public static final int QUEUED = 256 * 1024;

    private final Transport transport;
    private final Sources.Shared source;
    private final StreamRig rig;

    /** Opens {@code transportName} with one loop and connects a pair over loopback. */
    public VConnLoopback(String transportName) throws IOException {
        this.transport = BenchTransports.open(transportName);
        try {
            Connections.Connected c = Connections.connect(transport);
            this.source = Sources.shared(transport.blockPool(), QUEUED);
            this.rig = new StreamRig(c.client(), c.server(), transport.blockPool(), QUEUED, source,
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
