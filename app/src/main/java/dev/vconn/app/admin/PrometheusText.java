package dev.vconn.app.admin;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes metric families in the Prometheus text exposition format, version 0.0.4: per family a {@code # HELP} and a
 * {@code # TYPE} line, then its samples, one per line ({@code name{label="value",...} value}), each line ended by
 * {@code \n}. Help text escapes {@code \} and line feeds; label values escape {@code \}, {@code "} and line feeds.
 */
public final class PrometheusText {
  /** The Content-Type of the format. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private PrometheusText() {}

  /**
   * Writes families.
   *
   * @param families the families, each name once
   * @return the exposition
   * @throws IllegalArgumentException if two families have one name, or one has two samples with the same suffix
   *     and labels
   */
  public static String write(List<MetricFamily> families) {
    StringBuilder b = new StringBuilder();
    Set<String> names = new HashSet<>();
    for (MetricFamily f : families) {
      if (!names.add(f.name())) {
        throw new IllegalArgumentException("metric family '" + f.name() + "' is listed twice");
      }
      b.append("# HELP ").append(f.name()).append(' ').append(escapeHelp(f.help())).append('\n');
      b.append("# TYPE ").append(f.name()).append(' ').append(f.type().word()).append('\n');
      Set<String> series = new HashSet<>();
      for (MetricFamily.Sample s : f.samples()) {
        int start = b.length();
        b.append(f.name()).append(s.suffix());
        if (!s.labels().isEmpty()) {
          b.append('{');
          boolean first = true;
          for (Map.Entry<String, String> l : s.labels().entrySet()) {
            b.append(first ? "" : ",").append(l.getKey()).append("=\"").append(escapeLabelValue(l.getValue()))
                .append('"');
            first = false;
          }
          b.append('}');
        }
        if (!series.add(b.substring(start))) {
          throw new IllegalArgumentException("metric family '" + f.name() + "' has the series "
              + b.substring(start) + " twice");
        }
        b.append(' ').append(number(s.value())).append('\n');
      }
    }
    return b.toString();
  }

  /**
   * A value as the format writes it: integers without a fraction, {@code +Inf}, {@code -Inf}, {@code NaN}.
   *
   * @param v the value
   * @return the text
   */
  public static String number(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return Double.toString(v);
  }

  private static String escapeHelp(String s) {
    return s.replace("\\", "\\\\").replace("\n", "\\n");
  }

  private static String escapeLabelValue(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
