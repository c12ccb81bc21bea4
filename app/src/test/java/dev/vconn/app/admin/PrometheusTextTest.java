package dev.vconn.app.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.app.admin.MetricFamily.Sample;
import dev.vconn.app.admin.MetricFamily.Type;
import dev.vconn.domain.http.HttpStats;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The writer's output against the strict parser, the writer's own checks, and the parser's strictness. */
class PrometheusTextTest {

  @Test
  void label_values_and_help_text_are_escaped_and_read_back_unchanged() {
    String tricky = "a\\b \"quoted\"\nnext line";
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("pitag", tricky);
    labels.put("kind", "in_process");
    String text = PrometheusText.write(List.of(new MetricFamily("x_requests_total", Type.COUNTER,
        "help with \\ and\nline feed", List.of(Sample.of(labels, 3)))));
    assertTrue(text.contains("x_requests_total{pitag=\"a\\\\b \\\"quoted\\\"\\nnext line\",kind=\"in_process\"} 3\n"),
        text);
    assertTrue(text.contains("# HELP x_requests_total help with \\\\ and\\nline feed\n"), text);
    StrictPrometheusParser.Family f = StrictPrometheusParser.parse(text).get("x_requests_total");
    assertEquals("counter", f.type());
    assertEquals("help with \\ and\nline feed", f.help());
    assertEquals(3, f.value(labels));
  }

  @Test
  void numbers_are_written_as_the_format_reads_them() {
    assertEquals("3", PrometheusText.number(3));
    assertEquals("0.0025", PrometheusText.number(0.0025));
    assertEquals("+Inf", PrometheusText.number(Double.POSITIVE_INFINITY));
    assertEquals("-Inf", PrometheusText.number(Double.NEGATIVE_INFINITY));
    assertEquals("NaN", PrometheusText.number(Double.NaN));
    assertEquals("1.0E20", PrometheusText.number(1e20));
  }

  @Test
  void families_the_format_forbids_are_refused_when_made_or_written() {
    assertThrows(IllegalArgumentException.class, () -> MetricFamily.gauge("1bad", "h", 1));
    assertThrows(IllegalArgumentException.class, () -> MetricFamily.gauge("bad-name", "h", 1));
    assertThrows(IllegalArgumentException.class, () -> MetricFamily.counter("requests", "h", 1),
        "a counter must end with _total");
    assertThrows(IllegalArgumentException.class, () -> Sample.of(Map.of("__reserved", "v"), 1));
    assertThrows(IllegalArgumentException.class, () -> Sample.of(Map.of("bad-label", "v"), 1));
    assertThrows(IllegalArgumentException.class, () -> new MetricFamily("g", Type.GAUGE, "h",
        List.of(new Sample("_bucket", Map.of(), 1))), "only a histogram has suffixes");
    MetricFamily g = MetricFamily.gauge("g", "h", 1);
    IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
        () -> PrometheusText.write(List.of(g, g)));
    assertTrue(twice.getMessage().contains("'g' is listed twice"), twice.getMessage());
    MetricFamily sameSeries = new MetricFamily("g", Type.GAUGE, "h",
        List.of(Sample.of(Map.of("a", "1"), 1), Sample.of(Map.of("a", "1"), 2)));
    assertThrows(IllegalArgumentException.class, () -> PrometheusText.write(List.of(sameSeries)));
  }

  @Test
  void a_histogram_has_a_cumulative_bucket_per_bound_then_inf_sum_and_count() {
    List<Long> cumulative = new ArrayList<>();
    for (int i = 0; i <= HttpStats.Histogram.UPPER_BOUNDS_SECONDS.size(); i++) {
      cumulative.add(i < 3 ? 0L : 2L);
    }
    String text = PrometheusText.write(List.of(MetricFamily.histogram("d_seconds", "h",
        new HttpStats.Histogram.Snapshot(cumulative, 0.5))));
    StrictPrometheusParser.Family f = StrictPrometheusParser.parse(text).get("d_seconds");
    assertEquals(2, f.value("d_seconds_count", Map.of()));
    assertEquals(2, f.value("d_seconds_bucket", Map.of("le", "+Inf")));
    assertEquals(0, f.value("d_seconds_bucket", Map.of("le", "0.005")));
    assertEquals(2, f.value("d_seconds_bucket", Map.of("le", "0.01")));
    assertEquals(2, f.value("d_seconds_bucket", Map.of("le", "60")));
    assertEquals(0.5, f.value("d_seconds_sum", Map.of()));
  }

  /** What the format forbids, each rejected by the test's parser (so its acceptance of /metrics means something). */
  @ParameterizedTest
  @ValueSource(strings = {
      "# TYPE a gauge\na 1",                                            // no final line feed
      "a 1\n",                                                          // no TYPE before the sample
      "# TYPE 1a gauge\n1a 1\n",                                        // bad metric name
      "# TYPE a gauge\na{1b=\"x\"} 1\n",                                // bad label name
      "# TYPE a gauge\na{__x=\"x\"} 1\n",                               // reserved label name
      "# TYPE a gauge\na{b=\"x\",b=\"y\"} 1\n",                         // a label twice
      "# TYPE a gauge\na{b=\"x\\q\"} 1\n",                              // bad escape
      "# TYPE a gauge\na{b=x} 1\n",                                     // unquoted label value
      "# TYPE a gauge\na one\n",                                        // not a number
      "# TYPE a gauge\na 1\na 2\n",                                     // a series twice
      "# TYPE a gauge\n# TYPE a gauge\na 1\n",                          // TYPE twice
      "# TYPE a gauge\na 1\n# HELP a late\n",                           // HELP after the samples
      "# TYPE a gauge\n# TYPE b gauge\na 1\nb 1\na{x=\"1\"} 2\n",       // a family split by another
      "# TYPE a widget\na 1\n",                                         // unknown type
      "# TYPE a counter\na 1\n",                                        // a counter without _total
      "# TYPE a_total counter\na_total -1\n",                           // a negative counter
      "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_sum 1\nh_count 2\n", // no +Inf bucket
      "# TYPE h histogram\nh_bucket{le=\"1\"} 3\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n", // not cumulative
      "# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n",
      "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n", // _count is not the +Inf bucket
      "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 2\n",       // no _sum
      "# TYPE h histogram\nh_bucket 2\nh_sum 1\nh_count 2\n",           // a bucket without le
      "# TYPE h histogram\nh 2\n",                                       // a histogram sample without suffix
  })
  void the_strict_parser_rejects_what_the_format_forbids(String text) {
    assertThrows(IllegalArgumentException.class, () -> StrictPrometheusParser.parse(text), text);
  }
}
