package dev.vconn.domain;

import dev.vconn.domain.buffer.IOBuffer;
import java.util.Objects;

/** A read operation: bytes flow from the VConn into {@link #buffer()}. Returned by {@link VConn#read}. */
public final class ReadVio extends VioState implements VIO {
    private final IOBuffer buffer;

    ReadVio(AbstractVConn vconn, Continuation continuation, long nbytes, IOBuffer buffer) {
        super(vconn, continuation, nbytes);
        this.buffer = Objects.requireNonNull(buffer, "buffer");
    }

    @Override
    public Op op() {
        return Op.READ;
    }

    /** The buffer the VConn writes into. */
    @Override
    public IOBuffer buffer() {
        return buffer;
    }

    @Override
    public String toString() {
        return describe("ReadVio");
    }
}
