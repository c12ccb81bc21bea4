package dev.vconn.app;

import dev.vconn.domain.http2.Http2Config;
import java.util.List;
import java.util.Objects;

/**
 * The server's HTTP/2 options: whether its listeners speak HTTP/2 (h2c with prior knowledge on {@code --listen},
 * {@code h2} by ALPN on {@code --tls-listen}) and the sessions' settings and limits (docs/http2.md).
 *
 * @param enabled whether HTTP/2 is offered; when false the listeners speak HTTP/1 only, as before HTTP/2 existed
 * @param config the HTTP/2 sessions' settings and limits
 */
public record Http2Settings(boolean enabled, Http2Config config) {

  /** The ALPN list of a TLS listener with HTTP/2: {@code h2} preferred, then {@code http/1.1}. */
  public static final List<String> ALPN_WITH_H2 = List.of("h2", "http/1.1");

  /** The ALPN list of a TLS listener without HTTP/2. */
  public static final List<String> ALPN_HTTP1 = List.of("http/1.1");

  /**
   * Checks the components.
   *
   * @throws NullPointerException if {@code config} is null
   */
  public Http2Settings {
    Objects.requireNonNull(config, "config");
  }

  /**
   * HTTP/2 on, with the sessions' defaults.
   *
   * @return the defaults
   */
  public static Http2Settings defaults() {
    return new Http2Settings(true, Http2Config.defaults());
  }

  /**
   * The ALPN protocols the TLS listener offers, most preferred first.
   *
   * @return {@link #ALPN_WITH_H2} when enabled, else {@link #ALPN_HTTP1}
   */
  public List<String> alpn() {
    return enabled ? ALPN_WITH_H2 : ALPN_HTTP1;
  }
}
