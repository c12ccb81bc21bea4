package dev.vconn.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link PluginSettings}: typed values, defaults, errors naming {@code plugin.NAME.KEY}, and the keys never read. */
class PluginSettingsTest {
  private final PluginSettings settings = new PluginSettings("stamp", Map.of("value", " v ", "count", "12",
      "on", "TRUE", "paths", "/a/, ,/b/", "bad-count", "twelve", "bad-on", "yes", "blank", "  ", "typo", "x"));

  @Test
  void values_come_stripped_and_typed_with_defaults_for_absent_keys() {
    assertEquals(Optional.of("v"), settings.get("value"));
    assertEquals("v", settings.require("value"));
    assertEquals("d", settings.get("absent", "d"));
    assertEquals(12, settings.getInt("count", 0));
    assertEquals(7, settings.getInt("absent-count", 7));
    assertTrue(settings.getBoolean("on", false));
    assertFalse(settings.getBoolean("absent-on", false));
    assertEquals(List.of("/a/", "/b/"), settings.getList("paths"));
    assertEquals(List.of(), settings.getList("absent-list"));
  }

  @Test
  void errors_name_the_full_key_and_the_expected_form() {
    assertEquals("plugin.stamp.bad-count must be an integer, was 'twelve'",
        assertThrows(IllegalArgumentException.class, () -> settings.getInt("bad-count", 0)).getMessage());
    assertEquals("plugin.stamp.bad-on must be true or false, was 'yes'",
        assertThrows(IllegalArgumentException.class, () -> settings.getBoolean("bad-on", false)).getMessage());
    assertEquals("plugin.stamp.blank is required (plugin stamp needs it)",
        assertThrows(IllegalArgumentException.class, () -> settings.require("blank")).getMessage());
    assertEquals("plugin.stamp.missing is required (plugin stamp needs it)",
        assertThrows(IllegalArgumentException.class, () -> settings.require("missing")).getMessage());
  }

  @Test
  void the_keys_never_asked_for_are_the_unread_ones() {
    assertEquals(settings.keys(), settings.unreadKeys());
    settings.get("value");
    settings.getInt("count", 0);
    settings.getBoolean("on", false);
    settings.getList("paths");
    settings.get("absent");
    assertEquals(Set.of("bad-count", "bad-on", "blank", "typo"), settings.unreadKeys());
    assertEquals(Set.of("absent", "count", "on", "paths", "value"), settings.askedKeys());
  }
}
