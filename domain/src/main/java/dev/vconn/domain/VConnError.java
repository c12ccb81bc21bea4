package dev.vconn.domain;

/**
 * Why a VConn operation failed: an errno-like code (see {@link Errno}), a message, and the cause if one exists.
 *
 * @param errno   the errno-like code
 * @param message what happened, for humans
 * @param cause   the underlying exception, or {@code null}
 */
public record VConnError(int errno, String message, Throwable cause) {
    /** An error with no underlying exception. */
    public static VConnError of(int errno, String message) {
        return new VConnError(errno, message, null);
    }

    /**
     * Maps an I/O failure to an error with an errno-like code, recognising the JDK's usual exceptions and
     * messages (connection reset, broken pipe, refused, timed out, unreachable).
     *
     * @param fallbackErrno the code to use when the failure is not recognised
     */
    public static VConnError from(java.io.IOException e, int fallbackErrno) {
        String msg = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
        int errno;
        if (e instanceof java.net.ConnectException || msg.contains("refused")) {
            errno = Errno.ECONNREFUSED;
        } else if (msg.contains("reset")) {
            errno = Errno.ECONNRESET;
        } else if (msg.contains("broken pipe")) {
            errno = Errno.EPIPE;
        } else if (msg.contains("timed out")) {
            errno = Errno.ETIMEDOUT;
        } else if (e instanceof java.net.NoRouteToHostException || msg.contains("unreachable")) {
            errno = Errno.EHOSTUNREACH;
        } else {
            errno = fallbackErrno;
        }
        return new VConnError(errno, String.valueOf(e.getMessage() == null ? e.getClass().getSimpleName()
                : e.getMessage()), e);
    }

    @Override
    public String toString() {
        return Errno.name(errno) + ": " + message + (cause == null ? "" : " (" + cause + ")");
    }
}
