package dev.vconn.domain.spi;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.IOBufferReader;
import java.util.Objects;

/**
 * The core's write operation: bytes flow from {@link #reader()} into the VConn. Made by {@link AbstractVConn#write}.
 */
final class CoreWriteVio extends VioState implements WriteVio {
    private final IOBufferReader reader;

    CoreWriteVio(AbstractVConn vconn, Continuation continuation, long nbytes, IOBufferReader reader) {
        super(vconn, continuation, nbytes);
        this.reader = Objects.requireNonNull(reader, "reader");
    }

    @Override
    public IOBufferReader reader() {
        return reader;
    }

    @Override
    public String toString() {
        return describe("WriteVio");
    }
}
