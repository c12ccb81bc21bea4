package dev.vconn.domain.tls;

/**
 * TLS configuration that cannot be used: an unreadable or malformed PEM or key store file, a missing password, a
 * private key that does not match its certificate, a protocol or cipher suite that is not allowed. The message names
 * the file (or key store alias) and the reason.
 */
public final class TlsConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A configuration error with a message naming what and why. */
    public TlsConfigException(String message) {
        super(message);
    }

    /** A configuration error with a message naming what and why, and the underlying failure. */
    public TlsConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
