package dev.vconn.domain.spi;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ReadVio;
import dev.vconn.domain.buffer.IOBuffer;
import java.util.Objects;

/** The core's read operation: bytes flow from the VConn into {@link #buffer()}. Made by {@link AbstractVConn#read}. */
final class CoreReadVio extends VioState implements ReadVio {
    private final IOBuffer buffer;

    CoreReadVio(AbstractVConn vconn, Continuation continuation, long nbytes, IOBuffer buffer) {
        super(vconn, continuation, nbytes);
        this.buffer = Objects.requireNonNull(buffer, "buffer");
    }

    @Override
    public IOBuffer buffer() {
        return buffer;
    }

    @Override
    public String toString() {
        return describe("ReadVio");
    }
}
