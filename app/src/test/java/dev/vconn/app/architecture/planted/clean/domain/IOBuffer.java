package dev.vconn.app.architecture.planted.clean.domain;

import com.google.common.base.Preconditions;
import dev.vconn.app.architecture.planted.clean.domain.internal.BlockPool;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Domain code using only the JDK (minus sockets/channels), Guava, slf4j and its own internals. */
public class IOBuffer {
    private static final Logger LOG = LoggerFactory.getLogger(IOBuffer.class);

    private final BlockPool pool = new BlockPool();
    private final byte[] scratch = new byte[128];

    public ByteBuffer block(int index) {
        Preconditions.checkArgument(index >= 0 && index <= 14, "bufferIndex %s not in 0..14", index);
        LOG.debug("block {} of {}", index, scratch.length);
        return pool.take(128 << index);
    }

    public String describe(InetSocketAddress address) {
        return address.getHostString() + ":" + address.getPort();
    }
}
