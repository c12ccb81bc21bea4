package dev.vconn.app;

import dev.vconn.plugin.Plugin;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds the plugins with {@link ServiceLoader}: first those on the server's class path (the bundled ones, listed
 * in the server jar's {@code META-INF/services/dev.vconn.plugin.Plugin}), then those of each {@code *.jar} in the
 * plugin directory, by file name. Each jar gets a class loader of its own whose parent is the server's, so a plugin
 * sees the vconn API, slf4j and the JDK, its own jar's classes, and nothing of the other jars; and a failure is
 * attributed to the jar it came from. Closing the loader closes those class loaders (after the plugins stopped).
 */
final class PluginLoader implements AutoCloseable {
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]*");

  /**
   * A plugin found.
   *
   * @param plugin the instance
   * @param source where it came from: its jar's path, or {@code class path}
   * @param version the Implementation-Version of its jar's manifest, or null
   */
  record Found(Plugin plugin, String source, String version) {}

  private final List<Found> found;
  private final List<URLClassLoader> loaders;

  private PluginLoader(List<Found> found, List<URLClassLoader> loaders) {
    this.found = List.copyOf(found);
    this.loaders = List.copyOf(loaders);
  }

  /**
   * Finds and constructs the plugins.
   *
   * @param pluginPath the directory of plugin jars, or null
   * @param serverLoader the server's class loader
   * @return the plugins, in order: class path first, then the jars by file name
   * @throws PluginLoadException naming the jar if one cannot be read, names a class that is missing, or a plugin's
   *     constructor throws; or if a name is malformed or taken twice
   */
  static PluginLoader load(Path pluginPath, ClassLoader serverLoader) {
    List<Found> found = new ArrayList<>();
    List<URLClassLoader> loaders = new ArrayList<>();
    try {
      collect(ServiceLoader.load(Plugin.class, serverLoader), null, "the server's class path", found);
      if (pluginPath != null) {
        for (Path jar : jars(pluginPath)) {
          URLClassLoader loader = new URLClassLoader("plugin " + jar.getFileName(), new URL[] {url(jar)},
              serverLoader);
          loaders.add(loader);
          int before = found.size();
          collect(ServiceLoader.load(Plugin.class, loader), loader, jar.toString(), found);
          if (found.size() == before) {
            throw new PluginLoadException("plugin jar " + jar + " declares no plugin: it needs a file "
                + "META-INF/services/" + Plugin.class.getName() + " naming its plugin classes");
          }
        }
      }
      checkNames(found);
      return new PluginLoader(found, loaders);
    } catch (RuntimeException e) {
      closeAll(loaders);
      throw e;
    }
  }

  /**
   * The providers of {@code services}; with {@code own} set, only those whose class that loader defined (the
   * server's own plugins are visible through the parent too).
   */
  private static void collect(ServiceLoader<Plugin> services, ClassLoader own, String source, List<Found> found) {
    Iterator<ServiceLoader.Provider<Plugin>> it = services.stream().iterator();
    while (true) {
      Plugin plugin;
      try {
        if (!it.hasNext()) {
          return;
        }
        ServiceLoader.Provider<Plugin> provider = it.next();
        if (own != null && provider.type().getClassLoader() != own) {
          continue;
        }
        plugin = provider.get();
      } catch (ServiceConfigurationError | LinkageError | RuntimeException e) {
        throw new PluginLoadException((own == null ? "a plugin on " : "plugin jar ") + source
            + ": cannot load its plugin: " + describe(e), e);
      }
      Package pkg = plugin.getClass().getPackage();
      found.add(new Found(plugin, own == null ? "class path" : source,
          pkg == null ? null : pkg.getImplementationVersion()));
    }
  }

  private static void checkNames(List<Found> found) {
    List<String> names = new ArrayList<>();
    for (Found f : found) {
      String name;
      try {
        name = f.plugin().name();
      } catch (RuntimeException e) {
        throw new PluginLoadException("plugin " + f.plugin().getClass().getName() + " (" + f.source()
            + "): name() failed: " + describe(e), e);
      }
      if (name == null || !NAME.matcher(name).matches()) {
        throw new PluginLoadException("plugin " + f.plugin().getClass().getName() + " (" + f.source()
            + ") has the name '" + name + "'; a name is lower case letters, digits and -");
      }
      int other = names.indexOf(name);
      if (other >= 0) {
        throw new PluginLoadException("two plugins are named '" + name + "': " + describe(found.get(other))
            + " and " + describe(f));
      }
      names.add(name);
    }
  }

  private static List<Path> jars(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".jar") && Files.isRegularFile(f)).sorted()
          .toList();
    } catch (IOException | UncheckedIOException e) {
      throw new PluginLoadException("cannot list the plugin directory " + dir + ": " + e.getMessage(), e);
    }
  }

  private static URL url(Path jar) {
    try {
      return jar.toUri().toURL();
    } catch (MalformedURLException e) {
      throw new PluginLoadException("plugin jar " + jar + ": " + e.getMessage(), e);
    }
  }

  /** A failure and its causes, one line. */
  static String describe(Throwable e) {
    StringBuilder b = new StringBuilder(String.valueOf(e.getMessage()));
    for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
      b.append(": ").append(c);
    }
    return b.toString();
  }

  /** {@code name version (source)}. */
  static String describe(Found f) {
    return f.plugin().getClass().getName() + (f.version() == null ? "" : " " + f.version()) + " (" + f.source() + ")";
  }

  /**
   * The plugins found.
   *
   * @return in order
   */
  List<Found> found() {
    return found;
  }

  /** Closes the jars' class loaders. */
  @Override
  public void close() {
    closeAll(loaders);
  }

  private static void closeAll(List<URLClassLoader> loaders) {
    for (URLClassLoader l : loaders) {
      try {
        l.close();
      } catch (IOException e) {
        // a jar that fails to close holds a file handle until exit; nothing else depends on it
      }
    }
  }
}
