package dev.vconn.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void parses_nested_objects_arrays_and_scalars_in_order() {
        Object v = Json.parse(" {\"a\": [1, -2.5e3, true, false, null], \"b\": {\"c\": \"d\"}, \"e\": {}, \"f\": []} ");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(List.of("a", "b", "e", "f"), List.copyOf(m.keySet()));
        List<?> a = (List<?>) m.get("a");
        assertEquals(1.0, a.get(0));
        assertEquals(-2500.0, a.get(1));
        assertEquals(Boolean.TRUE, a.get(2));
        assertEquals(Boolean.FALSE, a.get(3));
        assertNull(a.get(4));
        assertEquals(Map.of("c", "d"), m.get("b"));
        assertEquals(Map.of(), m.get("e"));
        assertEquals(List.of(), m.get("f"));
    }

    @Test
    void decodes_string_escapes() {
        assertEquals("q\"b\\s/n\nt\tu\u00e9", Json.parse("\"q\\\"b\\\\s\\/n\\nt\\tu\\u00e9\""));
    }

    @Test
    void accepts_the_bare_non_finite_numbers_some_writers_emit() {
        assertTrue(Double.isNaN((Double) Json.parse("NaN")));
        assertEquals(Double.POSITIVE_INFINITY, Json.parse("Infinity"));
        assertEquals(List.of(Double.NEGATIVE_INFINITY), Json.parse("[-Infinity]"));
    }

    @Test
    void rejects_broken_input_with_the_offset() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\" 1}"));
        assertTrue(e.getMessage().contains("offset 5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Json.parse("[1, 2"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("[1] x"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("\"open"));
    }
}
