package dev.vconn.domain.http2;

import java.time.Duration;
import java.util.Objects;

/**
 * The settings an {@link Http2ServerSession} advertises and the abuse limits it enforces. Every field has a default
 * ({@link #defaults()}); the canonical constructor validates each one and throws {@link IllegalArgumentException}
 * naming the field. Build one with {@link #builder()}. docs/http2.md, "Limits", says what each limit protects
 * against and what happens beyond it.
 *
 * @param maxConcurrentStreams SETTINGS_MAX_CONCURRENT_STREAMS advertised; a stream opened beyond it is refused with
 *     RST_STREAM REFUSED_STREAM; 1..2^31-1, default 100
 * @param initialWindowSize SETTINGS_INITIAL_WINDOW_SIZE advertised: each stream's receive window; 1..2^31-1,
 *     default 65535
 * @param connectionWindowSize the connection's receive window (raised from 65535 by a WINDOW_UPDATE on stream 0 right
 *     after the server's SETTINGS); 65535..2^31-1, default 1 MiB
 * @param maxFrameSize SETTINGS_MAX_FRAME_SIZE advertised: the largest frame payload accepted; 16384..16777215,
 *     default 16384
 * @param maxHeaderListSize SETTINGS_MAX_HEADER_LIST_SIZE advertised; a request header list above it gets a 431
 *     response on its stream; at least 1, default 64 KiB
 * @param headerTableSize SETTINGS_HEADER_TABLE_SIZE advertised: the HPACK decoder's dynamic table bound; 0..2^31-1,
 *     default 4096
 * @param maxHeaderBlockSize the most octets one header block (HEADERS or PUSH_PROMISE plus its CONTINUATION frames,
 *     9 per frame header included) may carry; beyond it GOAWAY ENHANCE_YOUR_CALM (CONTINUATION flood); at least 1,
 *     default 128 KiB
 * @param maxResetsPerInterval the most streams the client may reset (RST_STREAM) or have refused per
 *     {@code resetInterval} before the session sends GOAWAY ENHANCE_YOUR_CALM (rapid reset); at least 1, default 200
 * @param resetInterval the interval of the flood counters, on the loop's clock; positive, default 1 s
 * @param maxSettingsPerInterval the most SETTINGS frames (ACKs excluded) per {@code resetInterval} before GOAWAY
 *     ENHANCE_YOUR_CALM; at least 1, default 100
 * @param maxPingsPerInterval the most PING frames (ACKs excluded) per {@code resetInterval} before GOAWAY
 *     ENHANCE_YOUR_CALM; at least 1, default 100
 * @param idleTimeout with no stream open and no frame received for this long, the session sends GOAWAY NO_ERROR and
 *     closes; positive, default 120 s
 * @param zeroWindowTimeout response data waiting behind a zero send window for this long: if the stream's own window
 *     is zero the stream is reset with RST_STREAM FLOW_CONTROL_ERROR; if only the connection's window is zero the
 *     session sends GOAWAY FLOW_CONTROL_ERROR and closes (docs/http2.md, "Limits"); positive, default 30 s
 * @param streamBufferSize bytes buffered per stream and direction before backpressure stops the producer: the
 *     request body waiting for the in-process connection, the response waiting for the client's window; at least
 *     1024, default 64 KiB
 */
public record Http2Config(
    int maxConcurrentStreams,
    int initialWindowSize,
    int connectionWindowSize,
    int maxFrameSize,
    int maxHeaderListSize,
    int headerTableSize,
    int maxHeaderBlockSize,
    int maxResetsPerInterval,
    Duration resetInterval,
    int maxSettingsPerInterval,
    int maxPingsPerInterval,
    Duration idleTimeout,
    Duration zeroWindowTimeout,
    int streamBufferSize) {

  /** The initial flow control window of RFC 9113, section 6.9.2, before any SETTINGS or WINDOW_UPDATE. */
  public static final int DEFAULT_WINDOW = 65_535;

  private static final Http2Config DEFAULTS = new Builder().build();

  /** Validates every field. */
  public Http2Config {
    positive("maxConcurrentStreams", maxConcurrentStreams);
    positive("initialWindowSize", initialWindowSize);
    if (connectionWindowSize < DEFAULT_WINDOW) {
      throw new IllegalArgumentException("Http2Config.connectionWindowSize must be >= " + DEFAULT_WINDOW
          + " (the initial connection window, RFC 9113 section 6.9.2), got " + connectionWindowSize);
    }
    if (maxFrameSize < Http2FrameParser.MIN_MAX_FRAME_SIZE || maxFrameSize > Http2FrameParser.MAX_MAX_FRAME_SIZE) {
      throw new IllegalArgumentException("Http2Config.maxFrameSize must be " + Http2FrameParser.MIN_MAX_FRAME_SIZE
          + ".." + Http2FrameParser.MAX_MAX_FRAME_SIZE + " (RFC 9113 section 6.5.2), got " + maxFrameSize);
    }
    positive("maxHeaderListSize", maxHeaderListSize);
    if (headerTableSize < 0) {
      throw new IllegalArgumentException("Http2Config.headerTableSize must be >= 0, got " + headerTableSize);
    }
    positive("maxHeaderBlockSize", maxHeaderBlockSize);
    positive("maxResetsPerInterval", maxResetsPerInterval);
    positiveDuration("resetInterval", resetInterval);
    positive("maxSettingsPerInterval", maxSettingsPerInterval);
    positive("maxPingsPerInterval", maxPingsPerInterval);
    positiveDuration("idleTimeout", idleTimeout);
    positiveDuration("zeroWindowTimeout", zeroWindowTimeout);
    if (streamBufferSize < 1024) {
      throw new IllegalArgumentException("Http2Config.streamBufferSize must be >= 1024, got " + streamBufferSize);
    }
  }

  private static void positive(String field, int value) {
    if (value < 1) {
      throw new IllegalArgumentException("Http2Config." + field + " must be >= 1, got " + value);
    }
  }

  private static void positiveDuration(String field, Duration value) {
    Objects.requireNonNull(value, "Http2Config." + field);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException("Http2Config." + field + " must be positive, got " + value);
    }
  }

  /**
   * The defaults listed on each field.
   *
   * @return the default configuration
   */
  public static Http2Config defaults() {
    return DEFAULTS;
  }

  /**
   * A builder starting from the defaults.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder starting from this configuration.
   *
   * @return a new builder with this configuration's values
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.maxConcurrentStreams = maxConcurrentStreams;
    b.initialWindowSize = initialWindowSize;
    b.connectionWindowSize = connectionWindowSize;
    b.maxFrameSize = maxFrameSize;
    b.maxHeaderListSize = maxHeaderListSize;
    b.headerTableSize = headerTableSize;
    b.maxHeaderBlockSize = maxHeaderBlockSize;
    b.maxResetsPerInterval = maxResetsPerInterval;
    b.resetInterval = resetInterval;
    b.maxSettingsPerInterval = maxSettingsPerInterval;
    b.maxPingsPerInterval = maxPingsPerInterval;
    b.idleTimeout = idleTimeout;
    b.zeroWindowTimeout = zeroWindowTimeout;
    b.streamBufferSize = streamBufferSize;
    return b;
  }

  /** Builds an {@link Http2Config}; unset fields keep their defaults; {@link #build()} validates. */
  public static final class Builder {
    private int maxConcurrentStreams = 100;
    private int initialWindowSize = DEFAULT_WINDOW;
    private int connectionWindowSize = 1 << 20;
    private int maxFrameSize = Http2FrameParser.MIN_MAX_FRAME_SIZE;
    private int maxHeaderListSize = 64 * 1024;
    private int headerTableSize = 4096;
    private int maxHeaderBlockSize = 128 * 1024;
    private int maxResetsPerInterval = 200;
    private Duration resetInterval = Duration.ofSeconds(1);
    private int maxSettingsPerInterval = 100;
    private int maxPingsPerInterval = 100;
    private Duration idleTimeout = Duration.ofSeconds(120);
    private Duration zeroWindowTimeout = Duration.ofSeconds(30);
    private int streamBufferSize = 64 * 1024;

    private Builder() {
    }

    /** @param v SETTINGS_MAX_CONCURRENT_STREAMS @return this */
    public Builder maxConcurrentStreams(int v) {
      maxConcurrentStreams = v;
      return this;
    }

    /** @param v SETTINGS_INITIAL_WINDOW_SIZE @return this */
    public Builder initialWindowSize(int v) {
      initialWindowSize = v;
      return this;
    }

    /** @param v the connection receive window @return this */
    public Builder connectionWindowSize(int v) {
      connectionWindowSize = v;
      return this;
    }

    /** @param v SETTINGS_MAX_FRAME_SIZE @return this */
    public Builder maxFrameSize(int v) {
      maxFrameSize = v;
      return this;
    }

    /** @param v SETTINGS_MAX_HEADER_LIST_SIZE @return this */
    public Builder maxHeaderListSize(int v) {
      maxHeaderListSize = v;
      return this;
    }

    /** @param v SETTINGS_HEADER_TABLE_SIZE @return this */
    public Builder headerTableSize(int v) {
      headerTableSize = v;
      return this;
    }

    /** @param v the header block bound @return this */
    public Builder maxHeaderBlockSize(int v) {
      maxHeaderBlockSize = v;
      return this;
    }

    /** @param v resets allowed per interval @return this */
    public Builder maxResetsPerInterval(int v) {
      maxResetsPerInterval = v;
      return this;
    }

    /** @param v the flood counters' interval @return this */
    public Builder resetInterval(Duration v) {
      resetInterval = v;
      return this;
    }

    /** @param v SETTINGS frames allowed per interval @return this */
    public Builder maxSettingsPerInterval(int v) {
      maxSettingsPerInterval = v;
      return this;
    }

    /** @param v PING frames allowed per interval @return this */
    public Builder maxPingsPerInterval(int v) {
      maxPingsPerInterval = v;
      return this;
    }

    /** @param v the idle timeout @return this */
    public Builder idleTimeout(Duration v) {
      idleTimeout = v;
      return this;
    }

    /** @param v the zero-window stall timeout @return this */
    public Builder zeroWindowTimeout(Duration v) {
      zeroWindowTimeout = v;
      return this;
    }

    /** @param v per-stream buffer bound @return this */
    public Builder streamBufferSize(int v) {
      streamBufferSize = v;
      return this;
    }

    /**
     * Validates and builds.
     *
     * @return the configuration
     * @throws IllegalArgumentException naming the first invalid field
     */
    public Http2Config build() {
      return new Http2Config(maxConcurrentStreams, initialWindowSize, connectionWindowSize, maxFrameSize,
          maxHeaderListSize, headerTableSize, maxHeaderBlockSize, maxResetsPerInterval, resetInterval,
          maxSettingsPerInterval, maxPingsPerInterval, idleTimeout, zeroWindowTimeout, streamBufferSize);
    }
  }
}
