package dev.vconn.domain;

import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;

/**
 * A write operation: bytes flow from {@link #reader()} into the VConn. Returned by {@link VConn#write}.
 *
 * <p>Every transport returns the shared VIO core's implementation ({@code dev.vconn.domain.spi.AbstractVConn}); an
 * implementation made elsewhere is driven by no VConn.
 */
public non-sealed interface WriteVio extends VIO {
    @Override
    default Op op() {
        return Op.WRITE;
    }

    /** The reader the VConn takes bytes from; it consumes exactly the bytes it sends. */
    IOBufferReader reader();

    /** The buffer behind {@link #reader()}. */
    @Override
    default IOBuffer buffer() {
        return reader().buffer();
    }
}
