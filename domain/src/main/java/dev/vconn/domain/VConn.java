package dev.vconn.domain;

import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.net.SocketAddress;
import java.time.Duration;

/**
 * A virtual connection: Traffic Server's {@code VConnection}, a byte stream with at most one read and one write
 * operation ({@link VIO}) at a time, whatever the transport behind it (socket, Netty channel, in-process pair).
 *
 * <p>Threading: every method is thread-safe, never blocks on a callback and <b>never calls back
 * synchronously</b>; work is posted to the VConn's {@link #eventLoop()}, where all events are delivered under the
 * receiving continuation's lock. After {@link #close()} or {@link #abort(int, Throwable)} returns, no new callback
 * starts for this VConn, whichever thread closed it. A thread that closes (or replaces a VIO) while holding the
 * continuation's lock, as Traffic Server requires, also knows that no callback of that continuation is running;
 * without the lock, a callback that had already started on the loop may still be finishing.
 *
 * <p>The VIO rules are those of docs/semantics.md, rules 3.1–3.7 and {@code docs/semantics.md}.
 */
public interface VConn {
    /**
     * Starts a read of up to {@code nbytes} bytes into {@code buffer}; events go to {@code continuation}.
     * Retires the previous read VIO, which gets no more events. {@code nbytes == 0} produces no events;
     * {@link Long#MAX_VALUE} reads until EOS or ERROR.
     *
     * @return the new read VIO
     * @throws IllegalArgumentException if {@code nbytes} is negative
     * @throws IllegalStateException    if this VConn is closed or its read side is shut down
     */
    ReadVio read(Continuation continuation, long nbytes, IOBuffer buffer);

    /**
     * Starts a write of up to {@code nbytes} bytes taken from {@code reader}; events go to {@code continuation}.
     * Retires the previous write VIO, which gets no more events.
     *
     * @return the new write VIO
     * @throws IllegalArgumentException if {@code nbytes} is negative
     * @throws IllegalStateException    if this VConn is closed or its write side is shut down
     */
    WriteVio write(Continuation continuation, long nbytes, IOBufferReader reader);

    /**
     * Closes this VConn normally: both VIOs are retired, the transport is released (a socket is closed), and the
     * peer's reader gets EOS after the bytes already sent. Bytes not yet moved out of the write buffer are dropped.
     * Idempotent.
     *
     * <p>The peer's writer gets ERROR: on the in-process pair at once (EPIPE); over TCP as Linux reports it
     * (docs/semantics.md, "Sockets behave as Linux's"): at once with ECONNRESET if this side closed with bytes it
     * had not read (the kernel sends a reset), otherwise only on a write after the close (the first such write
     * may still be taken; the reset it provokes fails a later one with EPIPE).
     */
    void close();

    /**
     * Closes this VConn abnormally with an errno-like code and cause (Traffic Server's {@code TSVConnAbort}); this
     * VConn's {@link #error()} holds them. On the in-process pair the peer learns the code and cause from its own
     * {@link #error()}. A socket transport resets the connection ({@code SO_LINGER} 0) and TCP carries neither: the
     * peer's reader gets the bytes already delivered, then EOS with {@code error()} ECONNRESET, and its writer
     * ERROR with ECONNRESET (or EPIPE naming the reset).
     */
    void abort(int errno, Throwable cause);

    /**
     * Ends one or both directions. The VIO of that direction is retired at once (no more events, timeouts
     * included). After a write shutdown the peer's reader gets EOS after every byte written before it, at once.
     * After a read shutdown, on the in-process pair the peer's writer gets ERROR (EPIPE) at once; over TCP nothing
     * is sent (Linux's {@code shutdown(SHUT_RD)}): the peer's writer goes on until the kernel's buffers fill and
     * gets ERROR only once this side closes (a reset, since bytes are left unread). The VConn must still be closed.
     */
    void shutdown(ShutdownHow how);

    /** Whether this VConn is open, closed or aborted. */
    CloseState closeState();

    /** Whether this VConn is still open. */
    default boolean isOpen() {
        return closeState() == CloseState.OPEN;
    }

    /** Whether the read direction was shut down, here or by this VConn being closed. */
    boolean isReadShutdown();

    /** Whether the write direction was shut down, here or by this VConn being closed. */
    boolean isWriteShutdown();

    /** The last error this VConn saw (the reason for an ERROR event or a peer's abort), or {@code null}. */
    VConnError error();

    /** The current read VIO, or {@code null} if none was posted (retired VIOs are not returned). */
    ReadVio readVio();

    /** The current write VIO, or {@code null} if none was posted (retired VIOs are not returned). */
    WriteVio writeVio();

    /** The loop this VConn is pinned to; all of its events are delivered there. */
    EventLoop eventLoop();

    /** The local address, or {@code null} if the transport has none. */
    SocketAddress localAddress();

    /** The remote address (for an in-process passive end: the client address it was connected with). */
    SocketAddress remoteAddress();

    /**
     * Sets the inactivity timeout: if no byte moves for {@code timeout}, the read VIO (if one is active, else the
     * write VIO) gets INACTIVITY_TIMEOUT. The timer re-arms on the next transfer; the VConn stays usable.
     *
     * @throws IllegalArgumentException if the timeout is not positive
     */
    void setInactivityTimeout(Duration timeout);

    /** Cancels the inactivity timeout. */
    void cancelInactivityTimeout();

    /**
     * Sets a one-shot active timeout: after {@code timeout} the read VIO (if active, else the write VIO) gets
     * ACTIVE_TIMEOUT. The VConn stays usable.
     *
     * @throws IllegalArgumentException if the timeout is not positive
     */
    void setActiveTimeout(Duration timeout);

    /** Cancels the active timeout. */
    void cancelActiveTimeout();
}
