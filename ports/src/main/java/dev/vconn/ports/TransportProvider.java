package dev.vconn.ports;

/**
 * Makes transports of one kind; found with {@link java.util.ServiceLoader} (list implementations in
 * {@code META-INF/services/dev.vconn.ports.TransportProvider}).
 */
public interface TransportProvider {
    /** The name {@link Transports#load(String)} finds this provider by. */
    String name();

    /** A new transport. */
    Transport create(TransportConfig config);
}
