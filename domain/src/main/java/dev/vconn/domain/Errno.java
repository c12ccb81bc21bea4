package dev.vconn.domain;

/**
 * The errno-like codes a {@link VConnError} carries, with Linux's numbers so they read like Traffic Server's
 * {@code lerrno}.
 */
public final class Errno {
    /** I/O error. */
    public static final int EIO = 5;
    /** Permission denied: access control refused the client. */
    public static final int EACCES = 13;
    /** Broken pipe: writing to a peer that closed or shut down its read side. */
    public static final int EPIPE = 32;
    /** Connection reset by the peer. */
    public static final int ECONNRESET = 104;
    /** Not connected. */
    public static final int ENOTCONN = 107;
    /** Connection timed out. */
    public static final int ETIMEDOUT = 110;
    /** Connection refused. */
    public static final int ECONNREFUSED = 111;
    /** Connection aborted by this side. */
    public static final int ECONNABORTED = 103;
    /** Host unreachable. */
    public static final int EHOSTUNREACH = 113;
    /** Protocol error: a TLS handshake failure, alert, truncation or refused renegotiation (docs/tls.md). */
    public static final int EPROTO = 71;

    private Errno() {
    }

    /** The symbolic name of a code, or {@code "errno <code>"} for one this class does not name. */
    public static String name(int errno) {
        return switch (errno) {
            case EIO -> "EIO";
            case EACCES -> "EACCES";
            case EPIPE -> "EPIPE";
            case ECONNRESET -> "ECONNRESET";
            case ENOTCONN -> "ENOTCONN";
            case ETIMEDOUT -> "ETIMEDOUT";
            case ECONNREFUSED -> "ECONNREFUSED";
            case ECONNABORTED -> "ECONNABORTED";
            case EHOSTUNREACH -> "EHOSTUNREACH";
            case EPROTO -> "EPROTO";
            default -> "errno " + errno;
        };
    }
}
