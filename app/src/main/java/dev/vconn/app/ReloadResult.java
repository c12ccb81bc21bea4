package dev.vconn.app;

import java.util.List;
import java.util.Objects;

/**
 * What {@link VconnServer#reload()} did (docs/server.md, "Reload").
 *
 * @param applied whether the new configuration is in force; false: the file did not parse or failed validation, and
 *     the configuration before stays in force
 * @param message one line: what was applied ({@code 2 remap rule(s), 1 upstream group(s)}, then the keys not
 *     applied), or why nothing was (the file and line at fault, say)
 * @param notApplied the config keys whose new values need a restart and were not applied (listener addresses,
 *     transport, TLS, limits, timeouts, ...), in option order; empty if none changed
 */
public record ReloadResult(boolean applied, String message, List<String> notApplied) {
  /**
   * Checks and copies.
   *
   * @throws NullPointerException if a component is null
   */
  public ReloadResult {
    Objects.requireNonNull(message, "message");
    notApplied = List.copyOf(notApplied);
  }

  static ReloadResult rejected(String why) {
    return new ReloadResult(false, why, List.of());
  }
}
