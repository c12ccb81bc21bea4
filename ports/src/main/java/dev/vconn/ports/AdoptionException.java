package dev.vconn.ports;

/**
 * {@link SocketAdopter#adopt} refused a socket. The socket is exactly as it was before the call (open, same
 * blocking mode, registered nowhere) and still belongs to the caller, who must close it.
 */
public class AdoptionException extends Exception {
    private static final long serialVersionUID = 1L;

    /** A refusal saying why. */
    public AdoptionException(String message) {
        super(message);
    }

    /** A refusal saying why, with the underlying failure. */
    public AdoptionException(String message, Throwable cause) {
        super(message, cause);
    }
}
