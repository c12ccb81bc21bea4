package dev.vconn.bench.support;

import dev.vconn.domain.EventLoop;
import dev.vconn.domain.pair.VConnPair;
import dev.vconn.ports.Transport;

/**
 * An in-process {@link VConnPair} on a transport's loop: the application writes {@code size}-byte arrays into the
 * active end (one copy into pooled blocks), the pair moves blocks by reference, and at the passive end the
 * application either reads them into a {@code size}-byte array (one copy out: byte array to byte array, like
 * {@code arraycopy}) or consumes them in place (what a parser working on the IOBuffer does).
 */
public final class PairLoop implements BulkPipe {
    private final Transport transport;
    private final VConnPair pair;
    private final StreamRig rig;

    /**
     * Opens {@code transportName} with one loop and a pair on it.
     *
     * @param copyOut whether the reader copies into a byte array ({@code false}: it consumes in place)
     */
    public PairLoop(String transportName, int size, boolean copyOut) {
        this.transport = BenchTransports.open(transportName);
        EventLoop loop = transport.nextEventLoop();
        this.pair = VConnPair.open(loop, VConnPair.Options.defaults());
        // One chunk waits in the writer while the previous one moves: the writer always has data when asked.
        this.rig = new StreamRig(pair.active(), pair.passive(), transport.blockPool(), size,
                Sources.copying(Sources.pattern(size)),
                copyOut ? Sources.copyingInto(new byte[size]) : Sources.discard());
    }

    @Override
    public void transfer(long bytes) {
        rig.transfer(bytes);
    }

    @Override
    public void close() {
        rig.close();
        if (!pair.isFreed()) {
            throw new IllegalStateException("pair not freed after both ends closed: " + pair);
        }
        transport.close();
    }
}
