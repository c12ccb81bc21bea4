package dev.vconn.domain.http;

import java.time.Duration;
import java.util.Objects;

/**
 * The state machine's timeouts. All run on the connections' event loop clocks, so the in-memory transport tests them
 * on virtual time.
 *
 * @param header how long a client may take to send a whole request head: 408 after it. The first head on a
 *     connection has it from the moment the connection opened (a connection that sent no byte is then closed
 *     silently), later ones from their first byte
 * @param keepAliveIdle how long a client connection may sit idle between transactions: closed silently after it
 * @param connect how long connecting to an origin may take: 504 after it
 * @param response how long the origin may take to start its response after the request was sent: 504 after it
 * @param inactivity how long a body transfer may make no progress in either direction before it is aborted (408 if
 *     the client stalls its request body and no response has started)
 * @param originIdle how long an idle origin connection stays in the keep-alive pool
 * @param linger how long the proxy keeps reading (and discarding) after it answered an error and shut down its
 *     write side, so the client reads the error instead of a reset
 */
public record HttpTimeouts(Duration header, Duration keepAliveIdle, Duration connect, Duration response,
    Duration inactivity, Duration originIdle, Duration linger) {

  /**
   * Checks that every timeout is positive.
   *
   * @throws IllegalArgumentException naming the first timeout that is zero or negative
   */
  public HttpTimeouts {
    positive("header", header);
    positive("keepAliveIdle", keepAliveIdle);
    positive("connect", connect);
    positive("response", response);
    positive("inactivity", inactivity);
    positive("originIdle", originIdle);
    positive("linger", linger);
  }

  private static void positive(String name, Duration d) {
    Objects.requireNonNull(d, name);
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException("timeout " + name + " must be positive, was " + d);
    }
  }

  /**
   * The defaults: header 10 s, keep-alive idle 30 s, connect 5 s, response 30 s, inactivity 30 s, origin idle 30 s,
   * linger 2 s.
   *
   * @return the default timeouts
   */
  public static HttpTimeouts defaults() {
    return new HttpTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(5),
        Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(2));
  }

  /**
   * A copy with another header timeout.
   *
   * @param d the new value
   * @return the copy
   */
  public HttpTimeouts withHeader(Duration d) {
    return new HttpTimeouts(d, keepAliveIdle, connect, response, inactivity, originIdle, linger);
  }

  /**
   * A copy with another keep-alive idle timeout.
   *
   * @param d the new value
   * @return the copy
   */
  public HttpTimeouts withKeepAliveIdle(Duration d) {
    return new HttpTimeouts(header, d, connect, response, inactivity, originIdle, linger);
  }

  /**
   * A copy with another connect timeout.
   *
   * @param d the new value
   * @return the copy
   */
  public HttpTimeouts withConnect(Duration d) {
    return new HttpTimeouts(header, keepAliveIdle, d, response, inactivity, originIdle, linger);
  }

  /**
   * A copy with another response timeout.
   *
   * @param d the new value
   * @return the copy
   */
  public HttpTimeouts withResponse(Duration d) {
    return new HttpTimeouts(header, keepAliveIdle, connect, d, inactivity, originIdle, linger);
  }

  /**
   * A copy with another inactivity timeout.
   *
   * @param d the new value
   * @return the copy
   */
  public HttpTimeouts withInactivity(Duration d) {
    return new HttpTimeouts(header, keepAliveIdle, connect, response, d, originIdle, linger);
  }

  /**
   * A copy with another origin idle timeout.
   *
   * @param d the new value
   * @return the copy
   */
  public HttpTimeouts withOriginIdle(Duration d) {
    return new HttpTimeouts(header, keepAliveIdle, connect, response, inactivity, d, linger);
  }

  /**
   * A copy with another linger timeout.
   *
   * @param d the new value
   * @return the copy
   */
  public HttpTimeouts withLinger(Duration d) {
    return new HttpTimeouts(header, keepAliveIdle, connect, response, inactivity, originIdle, d);
  }
}
