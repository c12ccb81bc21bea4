package dev.vconn.domain;

import dev.vconn.domain.buffer.IOBuffer;

/**
 * One read or write operation on a {@link VConn}: Traffic Server's {@code VIO}, with {@code nbytes},
 * {@code ndone} and {@code reenable} as demand-driven backpressure.
 *
 * <p>Unlike Traffic Server, every {@code read}/{@code write} returns a <i>new</i> VIO and retires the old one of
 * that direction: a retired VIO gets no more events, its {@link #reenable()} does nothing and its counters
 * freeze. Read the counters on the VConn's loop or under the continuation's lock.
 */
public sealed interface VIO permits ReadVio, WriteVio {
    /** The direction of an operation. */
    enum Op {
        /** A read VIO: bytes flow into a buffer. */
        READ,
        /** A write VIO: bytes flow out of a reader. */
        WRITE
    }

    /** Whether this is a read or a write. */
    Op op();

    /** Total bytes for the operation; {@link Long#MAX_VALUE} means unbounded. */
    long nbytes();

    /** Bytes moved so far. */
    long ndone();

    /** Bytes still to move: {@code nbytes - ndone}. */
    default long ntodo() {
        return nbytes() - ndone();
    }

    /**
     * Changes the total (Traffic Server's {@code TSVIONBytesSet}). Like Traffic Server, this only stores the value:
     * the VConn acts on it at its next pass, for example after {@link #reenable()}. Lowering it to {@code ndone}
     * and reenabling completes the operation with READ_COMPLETE or WRITE_COMPLETE.
     *
     * @throws IllegalArgumentException if {@code nbytes} is negative or below {@code ndone}
     */
    void setNBytes(long nbytes);

    /**
     * Asks the VConn to process this operation again: after consuming from a full read buffer, after adding data
     * to an empty write buffer, or to have EOS or ERROR reported again. Thread-safe, never calls back
     * synchronously; a no-op on a retired VIO.
     */
    void reenable();

    /** Retires this operation: no more events, and the direction is idle until a new read or write. */
    void cancel();

    /** Whether this VIO was retired: replaced by a newer one, cancelled, shut down or closed. */
    boolean isRetired();

    /** Whether this operation reached {@code ndone == nbytes} and sent its COMPLETE event. */
    boolean isComplete();

    /** The continuation that receives this operation's events. */
    Continuation continuation();

    /** The VConn this operation belongs to. */
    VConn vconn();

    /** For a read, the buffer filled; for a write, the buffer behind the reader. */
    IOBuffer buffer();
}
