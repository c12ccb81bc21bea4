package dev.vconn.ports;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link Transports}: an unknown name is a clear error listing what is available. */
class TransportsTest {
    @Test
    void an_unknown_transport_name_lists_the_available_ones() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Transports.load("carrier-pigeon"));
        assertTrue(e.getMessage().contains("no transport named 'carrier-pigeon'"), e.getMessage());
        assertTrue(e.getMessage().contains("available: " + Transports.available()), e.getMessage());
    }

    @Test
    void transport_config_validates() {
        assertThrows(IllegalArgumentException.class, () -> TransportConfig.defaults().withEventLoops(0));
        assertThrows(IllegalArgumentException.class,
                () -> TransportConfig.defaults().withShutdownTimeout(java.time.Duration.ofSeconds(-1)));
    }
}
