package dev.vconn.ports;

import dev.vconn.domain.buffer.BlockPool;
import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link Transport} is made.
 *
 * @param eventLoops      how many event loops (threads) to run, at least 1
 * @param blockPool       where IOBuffer blocks come from (shared by every VConn of the transport)
 * @param shutdownTimeout how long {@link Transport#close()} gives owners to close what they have open before it
 *                        closes it (a bound: see {@link Transport#close(java.time.Duration)})
 */
public record TransportConfig(int eventLoops, BlockPool blockPool, Duration shutdownTimeout) {
    /** Validates every field. */
    public TransportConfig {
        if (eventLoops < 1) {
            throw new IllegalArgumentException("eventLoops must be >= 1, was " + eventLoops);
        }
        Objects.requireNonNull(blockPool, "blockPool");
        Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
        if (shutdownTimeout.isNegative()) {
            throw new IllegalArgumentException("shutdownTimeout must be >= 0, was " + shutdownTimeout);
        }
    }

    /** One loop per available processor, a new direct block pool, a 5 s shutdown timeout. */
    public static TransportConfig defaults() {
        return new TransportConfig(Runtime.getRuntime().availableProcessors(), new BlockPool(), Duration.ofSeconds(5));
    }

    /** This config with another number of loops. */
    public TransportConfig withEventLoops(int n) {
        return new TransportConfig(n, blockPool, shutdownTimeout);
    }

    /** This config with another block pool. */
    public TransportConfig withBlockPool(BlockPool pool) {
        return new TransportConfig(eventLoops, pool, shutdownTimeout);
    }

    /** This config with another shutdown timeout. */
    public TransportConfig withShutdownTimeout(Duration timeout) {
        return new TransportConfig(eventLoops, blockPool, timeout);
    }
}
