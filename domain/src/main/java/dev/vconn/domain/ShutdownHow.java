package dev.vconn.domain;

/** Which direction {@link VConn#shutdown(ShutdownHow)} ends, as Traffic Server's {@code do_io_shutdown}. */
public enum ShutdownHow {
    /** No more reading: the read VIO is retired and the peer's writer gets ERROR. */
    READ,
    /** No more writing: the write VIO is retired and the peer's reader gets EOS. */
    WRITE,
    /** Both directions. */
    BOTH;

    /** Whether this shuts down the read direction. */
    public boolean read() {
        return this != WRITE;
    }

    /** Whether this shuts down the write direction. */
    public boolean write() {
        return this != READ;
    }
}
