package dev.vconn.domain.pair;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vconn.domain.VConn;
import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.loop.VirtualTimeEventLoop;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/**
 * Shared set-up for pair tests: a virtual-time loop, a block pool checked empty after every test, buffers that
 * are closed after every test, and pairs whose ends are closed after every test.
 */
abstract class PairFixture {
    final BlockPool pool = new BlockPool();
    final VirtualTimeEventLoop loop = new VirtualTimeEventLoop();
    private final List<IOBuffer> buffers = new ArrayList<>();
    private final List<VConnPair> pairs = new ArrayList<>();

    VConnPair pair() {
        return pair(VConnPair.Options.defaults());
    }

    VConnPair pair(VConnPair.Options options) {
        VConnPair pair = VConnPair.open(loop, options);
        pairs.add(pair);
        return pair;
    }

    IOBuffer buffer() {
        return buffer(8);
    }

    IOBuffer buffer(int sizeIndex) {
        IOBuffer buffer = new IOBuffer(pool, sizeIndex);
        buffers.add(buffer);
        return buffer;
    }

    static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    @AfterEach
    void releaseEverything() {
        for (VConnPair pair : pairs) {
            close(pair.active());
            close(pair.passive());
        }
        loop.runUntilIdle();
        for (VConnPair pair : pairs) {
            assertEquals(true, pair.isFreed(), "pair freed once both ends are closed");
        }
        buffers.forEach(IOBuffer::close);
        assertEquals(0, pool.outstanding(), "every block back in the pool: " + pool);
    }

    private static void close(VConn vc) {
        vc.close();
    }
}
