package dev.vconn.domain;

import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.util.Objects;

/** A write operation: bytes flow from {@link #reader()} into the VConn. Returned by {@link VConn#write}. */
public final class WriteVio extends VioState implements VIO {
    private final IOBufferReader reader;

    WriteVio(AbstractVConn vconn, Continuation continuation, long nbytes, IOBufferReader reader) {
        super(vconn, continuation, nbytes);
        this.reader = Objects.requireNonNull(reader, "reader");
    }

    @Override
    public Op op() {
        return Op.WRITE;
    }

    /** The reader the VConn takes bytes from; it consumes exactly the bytes it sends. */
    public IOBufferReader reader() {
        return reader;
    }

    /** The buffer behind {@link #reader()}. */
    @Override
    public IOBuffer buffer() {
        return reader.buffer();
    }

    @Override
    public String toString() {
        return describe("WriteVio");
    }
}
