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

    @Override
    public String toString() {
        return Errno.name(errno) + ": " + message + (cause == null ? "" : " (" + cause + ")");
    }
}
