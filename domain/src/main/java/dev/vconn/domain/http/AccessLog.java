package dev.vconn.domain.http;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where access log records go: one call per transaction, on the client connection's event loop, after the
 * transaction ended. Implementations must not block.
 */
@FunctionalInterface
public interface AccessLog {

  /** The slf4j logger name of {@link #slf4j()}. */
  String LOGGER_NAME = "vconn.access";

  /**
   * Records one transaction.
   *
   * @param record the transaction
   */
  void log(AccessLogRecord record);

  /**
   * Whether {@link #log} would use a record at all: the proxy builds a transaction's record only for a log that
   * answers true (the default), so a disabled log costs no allocation per transaction.
   *
   * @return false only if {@link #log} ignores every record
   */
  default boolean enabled() {
    return true;
  }

  /** A log that drops every record; the proxy builds no records for it. */
  AccessLog NONE = new AccessLog() {
    @Override
    public void log(AccessLogRecord record) {
    }

    @Override
    public boolean enabled() {
      return false;
    }

    @Override
    public String toString() {
      return "AccessLog.NONE";
    }
  };

  /**
   * The default: {@link AccessLogRecord#toLogLine()} at INFO on the slf4j logger {@value #LOGGER_NAME}.
   *
   * @return an access log writing through slf4j
   */
  static AccessLog slf4j() {
    return slf4j(AccessLogFormat.KV);
  }

  /**
   * Each record rendered in {@code format} at INFO on the slf4j logger {@value #LOGGER_NAME}.
   *
   * @param format the line format
   * @return an access log writing through slf4j
   */
  static AccessLog slf4j(AccessLogFormat format) {
    java.util.Objects.requireNonNull(format, "format");
    Logger logger = LoggerFactory.getLogger(LOGGER_NAME);
    return record -> {
      if (logger.isInfoEnabled()) {
        logger.info(format.render(record));
      }
    };
  }

  /**
   * Sends each record to this log and then to {@code other}; a log that is not {@link #enabled} is left out.
   *
   * @param other the second log
   * @return a log writing to both
   */
  default AccessLog andThen(AccessLog other) {
    java.util.Objects.requireNonNull(other, "other");
    if (!other.enabled()) {
      return this;
    }
    if (!enabled()) {
      return other;
    }
    return record -> {
      log(record);
      other.log(record);
    };
  }
}
