package dev.vconn.plugin;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A plugin's settings: the config file's {@code plugin.NAME.KEY = value} lines for one plugin, by {@code KEY}, as a
 * typed view. Every error names the full key ({@code plugin.NAME.KEY}) and says what was expected, so the user knows
 * which line of the config file to fix. Values are stripped of surrounding blanks. The keys a plugin asked for are
 * remembered: the server reports the others as misspelt (see {@link Plugin#init}).
 */
public final class PluginSettings {
  private final String plugin;
  private final Map<String, String> values;
  private final Set<String> asked = ConcurrentHashMap.newKeySet();

  /**
   * Creates the settings.
   *
   * @param plugin the plugin's name
   * @param values the values by key, without the {@code plugin.NAME.} prefix
   */
  public PluginSettings(String plugin, Map<String, String> values) {
    this.plugin = Objects.requireNonNull(plugin, "plugin");
    this.values = new TreeMap<>(values);
  }

  /**
   * No settings.
   *
   * @param plugin the plugin's name
   * @return empty settings
   */
  public static PluginSettings empty(String plugin) {
    return new PluginSettings(plugin, Map.of());
  }

  /**
   * The plugin's name.
   *
   * @return the name
   */
  public String pluginName() {
    return plugin;
  }

  /**
   * The full config key of a setting, as messages name it.
   *
   * @param key the key
   * @return {@code plugin.NAME.KEY}
   */
  public String qualified(String key) {
    return "plugin." + plugin + "." + key;
  }

  /**
   * A value.
   *
   * @param key the key
   * @return the value, empty if the config file does not set it
   */
  public Optional<String> get(String key) {
    asked.add(key);
    String v = values.get(key);
    return v == null ? Optional.empty() : Optional.of(v.strip());
  }

  /**
   * A value or a default.
   *
   * @param key the key
   * @param defaultValue what an absent key gives
   * @return the value
   */
  public String get(String key, String defaultValue) {
    return get(key).orElse(defaultValue);
  }

  /**
   * A value that must be set.
   *
   * @param key the key
   * @return the value, not blank
   * @throws IllegalArgumentException naming {@code plugin.NAME.KEY} if it is absent or blank
   */
  public String require(String key) {
    String v = get(key).orElse("");
    if (v.isEmpty()) {
      throw new IllegalArgumentException(qualified(key) + " is required (plugin " + plugin + " needs it)");
    }
    return v;
  }

  /**
   * A decimal integer.
   *
   * @param key the key
   * @param defaultValue what an absent key gives
   * @return the value
   * @throws IllegalArgumentException naming {@code plugin.NAME.KEY} if the value is not an integer
   */
  public int getInt(String key, int defaultValue) {
    Optional<String> v = get(key);
    if (v.isEmpty()) {
      return defaultValue;
    }
    try {
      return Integer.parseInt(v.get());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(qualified(key) + " must be an integer, was '" + v.get() + "'");
    }
  }

  /**
   * {@code true} or {@code false} (any case).
   *
   * @param key the key
   * @param defaultValue what an absent key gives
   * @return the value
   * @throws IllegalArgumentException naming {@code plugin.NAME.KEY} for any other value
   */
  public boolean getBoolean(String key, boolean defaultValue) {
    Optional<String> v = get(key);
    if (v.isEmpty()) {
      return defaultValue;
    }
    if (v.get().equalsIgnoreCase("true")) {
      return true;
    }
    if (v.get().equalsIgnoreCase("false")) {
      return false;
    }
    throw new IllegalArgumentException(qualified(key) + " must be true or false, was '" + v.get() + "'");
  }

  /**
   * A comma-separated list; blank entries are dropped.
   *
   * @param key the key
   * @return the entries, stripped; empty if the key is absent
   */
  public List<String> getList(String key) {
    List<String> list = new ArrayList<>();
    for (String s : get(key).orElse("").split(",")) {
      if (!s.isBlank()) {
        list.add(s.strip());
      }
    }
    return List.copyOf(list);
  }

  /**
   * Every key the config file sets for this plugin.
   *
   * @return the keys, sorted
   */
  public Set<String> keys() {
    return new TreeSet<>(values.keySet());
  }

  /**
   * The keys the plugin asked for so far, set or not.
   *
   * @return the keys, sorted
   */
  public Set<String> askedKeys() {
    return new TreeSet<>(asked);
  }

  /**
   * The keys the config file sets that the plugin has not asked for (yet).
   *
   * @return the keys, sorted
   */
  public Set<String> unreadKeys() {
    Set<String> unread = new TreeSet<>(values.keySet());
    unread.removeAll(asked);
    return unread;
  }

  @Override
  public String toString() {
    return "PluginSettings[" + plugin + ": " + values.keySet() + "]";
  }
}
