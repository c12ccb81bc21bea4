package dev.vconn.domain;

import dev.vconn.domain.buffer.IOBuffer;

/**
 * A read operation: bytes flow from the VConn into {@link #buffer()}. Returned by {@link VConn#read}.
 *
 * <p>Every transport returns the shared VIO core's implementation ({@code dev.vconn.domain.spi.AbstractVConn}); an
 * implementation made elsewhere is driven by no VConn.
 */
public non-sealed interface ReadVio extends VIO {
    @Override
    default Op op() {
        return Op.READ;
    }

    /** The buffer the VConn writes into. */
    @Override
    IOBuffer buffer();
}
