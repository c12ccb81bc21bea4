package dev.vconn.app;

import dev.vconn.domain.tls.TlsContext;
import dev.vconn.domain.tls.TlsEngineProvider;
import dev.vconn.netty.OpenSslTlsEngineProvider;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The server's TLS options, as given: an optional TLS listener with its certificates (by SNI name, the first the
 * default), client authentication and handshake timeout, and the settings towards {@code https://} remap targets.
 * {@link #listenerContext()} and {@link #originContext()} build the {@link TlsContext}s; {@link ServerCli} builds
 * them once while parsing, so bad key material is a usage error there.
 *
 * @param listen where the TLS listener listens, or null for none
 * @param certificates the PEM certificate chains of the listener, in order
 * @param keys the PKCS#8 PEM keys, one per certificate, same order
 * @param clientAuth whether the listener asks for client certificates
 * @param trust the PEM CA certificates client certificates must chain to, or null
 * @param handshakeTimeout how long a TLS handshake may take
 * @param originTrust the PEM CA certificates https origins must chain to, or null for the JDK's trust store
 * @param originVerifyHostname whether an https origin's certificate must name the remap target's host
 * @param keyPasswords the passwords of encrypted keys: none, one for every key, or one per key (same order); a
 *     password given for an unencrypted key is not used
 * @param delegatedTasks where the TLS engines' delegated tasks (signatures, key agreement, certificate checks) run
 * @param engine which TLS engine the listener and the https origins use
 */
public record TlsSettings(InetSocketAddress listen, List<Path> certificates, List<Path> keys,
    TlsContext.ClientAuth clientAuth, Path trust, Duration handshakeTimeout, Path originTrust,
    boolean originVerifyHostname, List<char[]> keyPasswords, DelegatedTasks delegatedTasks, Engine engine) {

  /** Which TLS engine does the handshakes and the record crypto (docs/server.md, TLS; docs/tls.md, Engines). */
  public enum Engine {
    /** The JDK's own {@code SSLEngine}, the default: every TLS setting, pure Java. */
    JDK,
    /**
     * BoringSSL through Netty's OpenSSL {@code SSLEngine} (netty-tcnative, Linux x86-64): several times less CPU per
     * handshake; refuses what it cannot do as the JDK does.
     */
    OPENSSL;

    /** A provider of this engine's engines. */
    TlsEngineProvider provider() {
      return this == JDK ? TlsEngineProvider.jdk() : OpenSslTlsEngineProvider.create();
    }
  }

  /** Which engine is used unless {@code --tls-engine} says otherwise. */
  public static final Engine DEFAULT_ENGINE = Engine.JDK;

  /** Settings with the default engine. */
  public TlsSettings(InetSocketAddress listen, List<Path> certificates, List<Path> keys,
      TlsContext.ClientAuth clientAuth, Path trust, Duration handshakeTimeout, Path originTrust,
      boolean originVerifyHostname, List<char[]> keyPasswords, DelegatedTasks delegatedTasks) {
    this(listen, certificates, keys, clientAuth, trust, handshakeTimeout, originTrust, originVerifyHostname,
        keyPasswords, delegatedTasks, DEFAULT_ENGINE);
  }

  /** Where the TLS engines' delegated tasks run (docs/server.md, TLS; docs/tls.md, Threading). */
  public enum DelegatedTasks {
    /**
     * On the connection's own event loop, inline: no thread hand-off, and each loop does its own connections'
     * handshake work, so handshakes use every loop's core; a loop is busy for the task's duration (about a
     * millisecond for an ECDSA P-256 handshake).
     */
    LOOP,
    /**
     * On the JDK's common fork-join pool, the library's default: the loop stays free during the task, at the cost
     * of a hand-off to another thread and back per task batch, with the pool's parallelism (processors - 1) shared
     * by all loops.
     */
    POOL
  }

  /** Settings with the default placement of delegated tasks. */
  public TlsSettings(InetSocketAddress listen, List<Path> certificates, List<Path> keys,
      TlsContext.ClientAuth clientAuth, Path trust, Duration handshakeTimeout, Path originTrust,
      boolean originVerifyHostname, List<char[]> keyPasswords) {
    this(listen, certificates, keys, clientAuth, trust, handshakeTimeout, originTrust, originVerifyHostname,
        keyPasswords, DEFAULT_DELEGATED_TASKS);
  }

  /** Where delegated tasks run unless {@code --tls-delegated-tasks} says otherwise. */
  public static final DelegatedTasks DEFAULT_DELEGATED_TASKS = DelegatedTasks.POOL;

  /** Settings without key passwords. */
  public TlsSettings(InetSocketAddress listen, List<Path> certificates, List<Path> keys,
      TlsContext.ClientAuth clientAuth, Path trust, Duration handshakeTimeout, Path originTrust,
      boolean originVerifyHostname) {
    this(listen, certificates, keys, clientAuth, trust, handshakeTimeout, originTrust, originVerifyHostname,
        List.of());
  }

  /**
   * Checks the components and copies the lists.
   *
   * @throws IllegalArgumentException if certificates and keys do not pair up, or a listener has none
   */
  public TlsSettings {
    certificates = List.copyOf(certificates);
    keys = List.copyOf(keys);
    keyPasswords = List.copyOf(keyPasswords);
    Objects.requireNonNull(delegatedTasks, "delegatedTasks");
    Objects.requireNonNull(engine, "engine");
    Objects.requireNonNull(clientAuth, "clientAuth");
    Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
    if (certificates.size() != keys.size()) {
      throw new IllegalArgumentException("TLS certificates and keys must pair up: " + certificates.size()
          + " certificate(s), " + keys.size() + " key(s)");
    }
    if (keyPasswords.size() > 1 && keyPasswords.size() != keys.size()) {
      throw new IllegalArgumentException("TLS key passwords: give one for every key or one per key, got "
          + keyPasswords.size() + " password(s) for " + keys.size() + " key(s)");
    }
    if (listen != null && certificates.isEmpty()) {
      throw new IllegalArgumentException("a TLS listener needs at least one certificate and key");
    }
  }

  /**
   * No TLS listener; https origins verified against the JDK's trust store with hostname verification.
   *
   * @return the defaults
   */
  public static TlsSettings none() {
    return new TlsSettings(null, List.of(), List.of(), TlsContext.ClientAuth.NONE, null,
        TlsContext.DEFAULT_HANDSHAKE_TIMEOUT, null, true);
  }

  /**
   * The TLS listener's server context.
   *
   * @return the context, or null without a TLS listener
   * @throws dev.vconn.domain.tls.TlsConfigException if a file cannot be read or a key does not match its
   *     certificate
   */
  public TlsContext listenerContext() {
    return listenerContext(Http2Settings.ALPN_HTTP1);
  }

  /**
   * The TLS listener's server context offering these ALPN protocols ({@link Http2Settings#alpn()}).
   *
   * @param alpn the ALPN protocols, most preferred first
   * @return the context, or null without a TLS listener
   * @throws dev.vconn.domain.tls.TlsConfigException if a file cannot be read or a key does not match its
   *     certificate
   */
  public TlsContext listenerContext(List<String> alpn) {
    if (listen == null) {
      return null;
    }
    TlsContext.ServerBuilder b = TlsContext.server().clientAuth(clientAuth).handshakeTimeout(handshakeTimeout)
        .alpn(alpn.toArray(String[]::new)).engine(engine.provider());
    if (delegatedTasks == DelegatedTasks.LOOP) {
      b.delegatedTaskExecutor(Runnable::run);
    }
    for (int i = 0; i < certificates.size(); i++) {
      b.certificate(certificates.get(i), keys.get(i), passwordOf(i));
    }
    if (trust != null) {
      b.trustPem(trust);
    }
    return b.build();
  }

  /** The password of key {@code i}, or null if none was given. */
  private char[] passwordOf(int i) {
    return keyPasswords.isEmpty() ? null : keyPasswords.get(keyPasswords.size() == 1 ? 0 : i).clone();
  }

  /**
   * Reads a key password from a file: its first line, without the line end (as {@code openssl -passin file:}
   * reads it).
   *
   * @param file the password file
   * @return the password
   * @throws IOException if the file cannot be read
   * @throws IllegalArgumentException if its first line is empty
   */
  public static char[] readPassword(Path file) throws IOException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IOException("cannot read password file " + file + ": " + e, e);
    }
    int end = 0;
    while (end < text.length() && text.charAt(end) != '\n' && text.charAt(end) != '\r') {
      end++;
    }
    if (end == 0) {
      throw new IllegalArgumentException("password file " + file + " has an empty first line");
    }
    return text.substring(0, end).toCharArray();
  }

  /**
   * The client context towards https origins.
   *
   * @return the context
   * @throws dev.vconn.domain.tls.TlsConfigException if the trust file cannot be read
   */
  public TlsContext originContext() {
    TlsContext.ClientBuilder b = TlsContext.client().verifyHostname(originVerifyHostname)
        .handshakeTimeout(handshakeTimeout).engine(engine.provider());
    if (delegatedTasks == DelegatedTasks.LOOP) {
      b.delegatedTaskExecutor(Runnable::run);
    }
    if (originTrust != null) {
      b.trustPem(originTrust);
    }
    return b.build();
  }

  /**
   * A copy whose TLS listener listens elsewhere.
   *
   * @param address the TLS listen address
   * @return the copy
   * @throws IllegalArgumentException if there is no TLS listener
   */
  public TlsSettings withListen(InetSocketAddress address) {
    if (listen == null) {
      throw new IllegalArgumentException("no TLS listener is configured (--tls-listen)");
    }
    return new TlsSettings(address, certificates, keys, clientAuth, trust, handshakeTimeout, originTrust,
        originVerifyHostname, keyPasswords, delegatedTasks, engine);
  }
}
