package dev.vconn.ports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import org.junit.jupiter.api.Test;

/** {@link HttpConnectOptions}: defaults after Traffic Server's, and every invalid value refused by name. */
class HttpConnectOptionsTest {
    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 4000);

    @Test
    void defaults_are_traffic_servers() {
        HttpConnectOptions o = HttpConnectOptions.builder().clientAddress(CLIENT).build();
        assertEquals(ConnectType.PLUGIN, o.connectType());
        assertEquals("plugin", o.tag());
        assertEquals(0, o.id());
        assertFalse(o.hasId());
        assertEquals(8, o.bufferIndex());
        assertEquals(0, o.waterMark());
        assertEquals(CLIENT, o.clientAddress());
    }

    @Test
    void every_field_round_trips_into_the_pair_options() {
        HttpConnectOptions o = HttpConnectOptions.builder().clientAddress(CLIENT).tag("fetcher").id(42)
                .bufferIndex(3).waterMark(4096).build();
        var pair = o.pairOptions();
        assertEquals("fetcher", pair.tag());
        assertEquals(42, pair.id());
        assertEquals(3, pair.bufferIndex());
        assertEquals(4096, pair.waterMark());
        assertEquals(CLIENT, pair.clientAddress());
        assertTrue(o.hasId());
    }

    @Test
    void a_unix_domain_client_address_is_accepted() {
        UnixDomainSocketAddress unix = UnixDomainSocketAddress.of("/tmp/vconn.sock");
        assertEquals(unix, HttpConnectOptions.builder().clientAddress(unix).build().clientAddress());
    }

    @Test
    void invalid_values_are_refused_naming_the_field_and_range() {
        assertMessage("clientAddress is required", () -> HttpConnectOptions.builder().build());
        assertMessage("port must be 1..65535",
                () -> HttpConnectOptions.builder().clientAddress(new InetSocketAddress("127.0.0.1", 0)).build());
        assertMessage("must be an IP address",
                () -> HttpConnectOptions.builder().clientAddress(InetSocketAddress.createUnresolved("x", 1)).build());
        assertMessage("bufferIndex must be in 0..14, was 15",
                () -> HttpConnectOptions.builder().clientAddress(CLIENT).bufferIndex(15).build());
        assertMessage("bufferIndex must be in 0..14, was -1",
                () -> HttpConnectOptions.builder().clientAddress(CLIENT).bufferIndex(-1).build());
        assertMessage("waterMark must be >= 0, was -1",
                () -> HttpConnectOptions.builder().clientAddress(CLIENT).waterMark(-1).build());
        assertMessage("tag must be a non-empty string",
                () -> HttpConnectOptions.builder().clientAddress(CLIENT).tag("").build());
        assertMessage("connectType is required",
                () -> HttpConnectOptions.builder().clientAddress(CLIENT).connectType(null).build());
    }

    private static void assertMessage(String expected, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(expected), () -> "'" + e.getMessage() + "' should say '" + expected + "'");
    }
}
