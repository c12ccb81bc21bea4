package dev.vconn.domain;

/**
 * The events a continuation receives, with Traffic Server's names and numeric codes, so that logs and
 * traces compare one to one with a Traffic Server plugin's.
 *
 * <p>The {@code data} passed with each event is documented per constant: a {@link VIO} for I/O events, a
 * {@link VConn} for {@link #NET_CONNECT} and {@link #NET_ACCEPT}, a {@link VConnError} for
 * {@link #NET_CONNECT_FAILED}.
 */
public enum Event {
    /** A scheduled event with no delay ({@code TS_EVENT_IMMEDIATE}). */
    IMMEDIATE(1),
    /** A delayed scheduled event ({@code TS_EVENT_TIMEOUT}). */
    TIMEOUT(2),
    /** The operation failed; data is the VIO, the code and cause are in {@link VConn#error()}. */
    ERROR(3),
    /** Bytes were added to a read VIO's buffer and it still wants more; data is the VIO. */
    READ_READY(100),
    /** A write VIO made progress or needs more data to send; data is the VIO. */
    WRITE_READY(101),
    /** A read VIO reached {@code ndone == nbytes}; sent exactly once; data is the VIO. */
    READ_COMPLETE(102),
    /** A write VIO reached {@code ndone == nbytes}; sent exactly once; data is the VIO. */
    WRITE_COMPLETE(103),
    /** The peer will send no more bytes; only sent to read VIOs with {@code ntodo > 0}; data is the VIO. */
    EOS(104),
    /** Nothing moved for the inactivity timeout; data is the VIO that receives it. */
    INACTIVITY_TIMEOUT(105),
    /** The active timeout expired; data is the VIO that receives it. */
    ACTIVE_TIMEOUT(106),
    /** An outbound connection is established; data is the new {@link VConn}. */
    NET_CONNECT(200),
    /** An outbound connection failed; data is the {@link VConnError}. */
    NET_CONNECT_FAILED(201),
    /** A connection was accepted (or an in-process passive end handed over); data is the new {@link VConn}. */
    NET_ACCEPT(202),
    /** Accepting failed or an intercept was never used; data is the {@link VConnError} or {@code null}. */
    NET_ACCEPT_FAILED(204),
    /** Resume a transaction after a hook ({@code TS_EVENT_HTTP_CONTINUE}); data is the transaction. */
    HTTP_CONTINUE(60000),
    /** Resume a transaction with an error response ({@code TS_EVENT_HTTP_ERROR}); data is the transaction. */
    HTTP_ERROR(60001),
    /** The client's request head was read ({@code TS_EVENT_HTTP_READ_REQUEST_HDR}); data is the transaction. */
    HTTP_READ_REQUEST_HDR(60002),
    /** The request head is about to go to the origin ({@code TS_EVENT_HTTP_SEND_REQUEST_HDR}); data is the transaction. */
    HTTP_SEND_REQUEST_HDR(60004),
    /** The origin's response head was read ({@code TS_EVENT_HTTP_READ_RESPONSE_HDR}); data is the transaction. */
    HTTP_READ_RESPONSE_HDR(60006),
    /** The response head is about to go to the client ({@code TS_EVENT_HTTP_SEND_RESPONSE_HDR}); data is the transaction. */
    HTTP_SEND_RESPONSE_HDR(60007),
    /** The transaction ended ({@code TS_EVENT_HTTP_TXN_CLOSE}); data is the transaction. */
    HTTP_TXN_CLOSE(60012),
    /** A client session started; no request was read yet ({@code TS_EVENT_HTTP_SSN_START}); data is the session. */
    HTTP_SSN_START(60013),
    /** A client session ended, after its last transaction ({@code TS_EVENT_HTTP_SSN_CLOSE}); data is the session. */
    HTTP_SSN_CLOSE(60014),
    /** The request is about to be remapped ({@code TS_EVENT_HTTP_PRE_REMAP}); data is the transaction. */
    HTTP_PRE_REMAP(60016),
    /** Remap chose the origin, not yet connected ({@code TS_EVENT_HTTP_POST_REMAP}); data is the transaction. */
    HTTP_POST_REMAP(60017);

    private final int code;

    Event(int code) {
        this.code = code;
    }

    /** Traffic Server's numeric code for this event. */
    public int code() {
        return code;
    }

    /**
     * The event with a Traffic Server numeric code.
     *
     * @throws IllegalArgumentException if no event has that code
     */
    public static Event fromCode(int code) {
        for (Event e : values()) {
            if (e.code == code) {
                return e;
            }
        }
        throw new IllegalArgumentException("no vconn event has Traffic Server code " + code);
    }

    @Override
    public String toString() {
        return name() + "(" + code + ")";
    }
}
