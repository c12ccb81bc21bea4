package dev.vconn.netty.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.ports.Transport;
import dev.vconn.ports.TransportConfig;
import dev.vconn.ports.Transports;
import io.netty.util.Version;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The Netty version check the netty transport runs before it makes any Netty loop. */
class NettyVersionCheckTest {

    private static Map<String, String> allArtifacts(String version) {
        Map<String, String> found = new HashMap<>();
        for (String artifact : NettyVersionCheck.ARTIFACTS) {
            found.put(artifact, version);
        }
        return found;
    }

    @Test
    void netty_4_1_is_refused_naming_the_required_and_the_found_versions() {
        Map<String, String> found = allArtifacts("4.2.18.Final");
        // What a Spring Boot style netty-bom 4.1 import does to the transport jars.
        found.put("netty-transport", "4.1.118.Final");
        found.put("netty-common", "4.1.118.Final");

        Optional<String> problem = NettyVersionCheck.mismatch(found);

        assertTrue(problem.isPresent(), "Netty 4.1 must be refused");
        String message = problem.get();
        assertTrue(message.contains("needs Netty 4.2.x"), message);
        assertTrue(message.contains("built against 4.2.18.Final"), message);
        assertTrue(message.contains("netty-transport 4.1.118.Final"), message);
        assertTrue(message.contains("netty-common 4.1.118.Final"), message);
        assertFalse(message.contains("netty-buffer"), "only the wrong artifacts are named: " + message);
    }

    @Test
    void a_newer_major_line_is_refused_too() {
        assertTrue(NettyVersionCheck.mismatch(allArtifacts("5.0.0.Alpha3")).isPresent());
    }

    @Test
    void any_4_2_release_is_accepted() {
        assertEquals(Optional.empty(), NettyVersionCheck.mismatch(allArtifacts("4.2.0.Final")));
        assertEquals(Optional.empty(), NettyVersionCheck.mismatch(allArtifacts("4.2.99.Final")));
    }

    @Test
    void artifacts_netty_does_not_list_are_not_judged() {
        assertEquals(Optional.empty(), NettyVersionCheck.mismatch(Map.of()));
        assertEquals(Optional.empty(), NettyVersionCheck.mismatch(Map.of("netty-codec-http", "4.1.118.Final")),
                "an artifact the adapter does not use may be any version");
    }

    @Test
    void built_against_is_the_netty_of_this_build() {
        // Keeps the constant in step with the netty.version of the parent pom.
        assertEquals(NettyVersionCheck.BUILT_AGAINST,
                Version.identify().get("netty-transport").artifactVersion());
    }

    @Test
    void the_netty_of_this_build_passes_and_transports_load_makes_a_netty_transport() {
        NettyVersionCheck.requireSupportedNetty();
        try (Transport transport = Transports.load("netty",
                TransportConfig.defaults().withEventLoops(1).withShutdownTimeout(Duration.ofSeconds(5)))) {
            assertEquals("netty", transport.name());
        }
    }
}
