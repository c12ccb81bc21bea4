package dev.vconn.ports;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Finds transports by name among the {@link TransportProvider}s on the module path (each adapter module
 * {@code provides} one) or the class path (listed in {@code META-INF/services}).
 */
public final class Transports {
    private Transports() {
    }

    /** The names of every transport found, sorted. */
    public static List<String> available() {
        List<String> names = new ArrayList<>();
        for (TransportProvider p : ServiceLoader.load(TransportProvider.class)) {
            names.add(p.name());
        }
        names.sort(null);
        return names;
    }

    /** The provider named {@code name}. */
    public static TransportProvider provider(String name) {
        for (TransportProvider p : ServiceLoader.load(TransportProvider.class)) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("no transport named '" + name + "'; available: " + available());
    }

    /**
     * A new transport named {@code name} with the default config.
     *
     * @throws IllegalArgumentException if no such transport is found, listing the available names
     */
    public static Transport load(String name) {
        return load(name, TransportConfig.defaults());
    }

    /** A new transport named {@code name}. */
    public static Transport load(String name, TransportConfig config) {
        return provider(name).create(config);
    }
}
