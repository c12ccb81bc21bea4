package dev.vconn.domain;

/** Whether a VConn is open, closed normally or aborted (Traffic Server's {@code TSVConnClosedGet}: 0, 1, -1). */
public enum CloseState {
    /** Not closed ({@code 0}). */
    OPEN(0),
    /** Closed with {@link VConn#close()} ({@code 1}). */
    CLOSED(1),
    /** Closed with {@link VConn#abort(int, Throwable)} ({@code -1}). */
    ABORTED(-1);

    private final int code;

    CloseState(int code) {
        this.code = code;
    }

    /** Traffic Server's value of {@code TSVConnClosedGet}. */
    public int code() {
        return code;
    }
}
