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
   * Sends each record to this log and then to {@code other}.
   *
   * @param other the second log
   * @return a log writing to both
   */
  default AccessLog andThen(AccessLog other) {
    return record -> {
      log(record);
      other.log(record);
    };
  }
}
