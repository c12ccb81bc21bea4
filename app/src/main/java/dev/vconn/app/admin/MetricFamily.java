package dev.vconn.app.admin;

import dev.vconn.domain.http.HttpStats;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One metric family of {@code /metrics}: a name, a type, a help line and its samples, as the Prometheus text format
 * (version 0.0.4) writes them. The constructor checks what the format requires, so a family that could not be
 * written correctly is refused when it is made, not when a scraper trips over it.
 *
 * @param name the family's name ({@code [a-zA-Z_:][a-zA-Z0-9_:]*}); a counter's ends with {@code _total}
 * @param type the type
 * @param help one line saying what it counts
 * @param samples the samples (none is fine: the family is listed with no value)
 */
public record MetricFamily(String name, Type type, String help, List<Sample> samples) {
  private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

  /** The types used here, with the word the {@code # TYPE} line gives. */
  public enum Type {
    /** Only goes up (until a restart). */
    COUNTER("counter"),
    /** Goes up and down. */
    GAUGE("gauge"),
    /** Cumulative buckets ({@code _bucket{le=...}}), {@code _sum} and {@code _count}. */
    HISTOGRAM("histogram");

    private final String word;

    Type(String word) {
      this.word = word;
    }

    /**
     * The word of the {@code # TYPE} line.
     *
     * @return {@code counter}, {@code gauge} or {@code histogram}
     */
    public String word() {
      return word;
    }
  }

  /**
   * One value.
   *
   * @param suffix appended to the family's name ({@code _bucket}, {@code _sum}, {@code _count} for a histogram;
   *     empty otherwise)
   * @param labels label names and values, in the order written
   * @param value the value
   */
  public record Sample(String suffix, Map<String, String> labels, double value) {
    /**
     * Checks the label names and copies the labels, keeping their order.
     *
     * @param suffix the suffix
     * @param labels the labels
     * @param value the value
     * @throws IllegalArgumentException if a label name is not {@code [a-zA-Z_][a-zA-Z0-9_]*} or starts with
     *     {@code __} (reserved by Prometheus)
     */
    public Sample {
      Objects.requireNonNull(suffix, "suffix");
      for (Map.Entry<String, String> l : labels.entrySet()) {
        if (!LABEL_NAME.matcher(l.getKey()).matches() || l.getKey().startsWith("__")) {
          throw new IllegalArgumentException("label name '" + l.getKey() + "' is not [a-zA-Z_][a-zA-Z0-9_]* "
              + "without a leading __");
        }
        Objects.requireNonNull(l.getValue(), "value of label " + l.getKey());
      }
      labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
    }

    /**
     * A sample without suffix.
     *
     * @param labels the labels
     * @param value the value
     * @return the sample
     */
    public static Sample of(Map<String, String> labels, double value) {
      return new Sample("", labels, value);
    }
  }

  /**
   * Checks the family.
   *
   * @param name the name
   * @param type the type
   * @param help the help line
   * @param samples the samples
   * @throws IllegalArgumentException if the name is not a metric name, a counter's does not end with
   *     {@code _total}, a histogram's ends with a suffix its samples add, or a sample's suffix does not fit the
   *     type
   */
  public MetricFamily {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(help, "help");
    if (name == null || !METRIC_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("metric name '" + name + "' is not [a-zA-Z_:][a-zA-Z0-9_:]*");
    }
    if (type == Type.COUNTER && !name.endsWith("_total")) {
      throw new IllegalArgumentException("counter '" + name + "' must end with _total");
    }
    samples = List.copyOf(samples);
    for (Sample s : samples) {
      boolean fits = type == Type.HISTOGRAM
          ? List.of("_bucket", "_sum", "_count").contains(s.suffix()) : s.suffix().isEmpty();
      if (!fits) {
        throw new IllegalArgumentException("a " + type.word() + " sample of '" + name + "' cannot have suffix '"
            + s.suffix() + "'");
      }
    }
  }

  /**
   * A counter with one unlabelled sample.
   *
   * @param name the name, ending with {@code _total}
   * @param help the help line
   * @param value the count
   * @return the family
   */
  public static MetricFamily counter(String name, String help, double value) {
    return new MetricFamily(name, Type.COUNTER, help, List.of(Sample.of(Map.of(), value)));
  }

  /**
   * A gauge with one unlabelled sample.
   *
   * @param name the name
   * @param help the help line
   * @param value the value
   * @return the family
   */
  public static MetricFamily gauge(String name, String help, double value) {
    return new MetricFamily(name, Type.GAUGE, help, List.of(Sample.of(Map.of(), value)));
  }

  /**
   * A histogram of durations in seconds, from a {@link HttpStats.Histogram.Snapshot}: one {@code _bucket} per
   * upper bound and {@code le="+Inf"}, then {@code _sum} and {@code _count}.
   *
   * @param name the name (conventionally ending with {@code _seconds})
   * @param help the help line
   * @param h the counts
   * @return the family
   */
  public static MetricFamily histogram(String name, String help, HttpStats.Histogram.Snapshot h) {
    List<Double> bounds = HttpStats.Histogram.UPPER_BOUNDS_SECONDS;
    List<Sample> samples = new ArrayList<>();
    for (int i = 0; i < bounds.size(); i++) {
      samples.add(new Sample("_bucket", Map.of("le", PrometheusText.number(bounds.get(i))),
          h.cumulativeCounts().get(i)));
    }
    samples.add(new Sample("_bucket", Map.of("le", "+Inf"), h.count()));
    samples.add(new Sample("_sum", Map.of(), h.sumSeconds()));
    samples.add(new Sample("_count", Map.of(), h.count()));
    return new MetricFamily(name, Type.HISTOGRAM, help, samples);
  }
}
