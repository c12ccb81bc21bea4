package dev.vconn.app;

/**
 * A plugin could not be found, loaded, configured or started: a broken jar in {@code --plugin-path}, a constructor,
 * {@code init} or {@code start} that threw, a config key for a plugin that is not there or that the plugin does not
 * read. The message names the jar or the plugin, and the config key where one is at fault; {@code vconn-server}
 * prints it and exits with status 1.
 */
public final class PluginLoadException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what failed, naming the jar, plugin or key
   * @param cause the underlying failure, or null
   */
  public PluginLoadException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * Creates the exception.
   *
   * @param message what failed, naming the jar, plugin or key
   */
  public PluginLoadException(String message) {
    super(message);
  }
}
