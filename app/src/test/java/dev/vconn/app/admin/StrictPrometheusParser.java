package dev.vconn.app.admin;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text exposition format, version 0.0.4, for the tests: it rejects (with
 * {@link IllegalArgumentException} naming the line) everything the format forbids and what a well-behaved exporter
 * must not do: bad metric or label names, a label name twice, bad escapes, values that are not numbers, text not
 * ended by a line feed, a sample without a {@code # TYPE} line before it, a TYPE or HELP line twice or after the
 * family's samples, a family whose samples are split by another's, a series twice, a sample whose name does not fit
 * its family's type, a counter not ending in {@code _total} or negative, and a histogram whose buckets are not
 * cumulative or not ascending, lack {@code le="+Inf"}, {@code _sum} or {@code _count}, or whose {@code _count} is not
 * its {@code +Inf} bucket.
 */
final class StrictPrometheusParser {
  private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
  private static final Pattern NUMBER =
      Pattern.compile("[+-]?(Inf|NaN|(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?)");
  private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");

  /** One sample line. */
  record Sample(String name, Map<String, String> labels, double value) {}

  /** One family: its type, help and samples in order. */
  record Family(String name, String type, String help, List<Sample> samples) {
    /** The value of the sample with this name and exactly these labels. */
    double value(String sampleName, Map<String, String> labels) {
      for (Sample s : samples) {
        if (s.name().equals(sampleName) && s.labels().equals(labels)) {
          return s.value();
        }
      }
      throw new AssertionError("no sample " + sampleName + labels + " in " + samples);
    }

    double value(Map<String, String> labels) {
      return value(name, labels);
    }
  }

  private StrictPrometheusParser() {}

  /** Parses an exposition; the families by name, in order. */
  static Map<String, Family> parse(String text) {
    if (!text.isEmpty() && !text.endsWith("\n")) {
      throw new IllegalArgumentException("the text does not end with a line feed");
    }
    Map<String, String> types = new HashMap<>();
    Map<String, String> helps = new HashMap<>();
    Map<String, List<Sample>> samples = new LinkedHashMap<>();
    Set<String> closed = new HashSet<>(); // families whose samples ended (another family's began)
    Set<String> series = new HashSet<>();
    String current = null;
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length - 1; i++) {
      String line = lines[i];
      String where = "line " + (i + 1) + " '" + line + "': ";
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("#")) {
        String[] parts = line.split(" ", 4);
        if (parts.length >= 3 && (parts[1].equals("HELP") || parts[1].equals("TYPE"))) {
          String name = parts[2];
          requireName(name, where);
          if (samples.containsKey(name) || closed.contains(name)) {
            throw new IllegalArgumentException(where + parts[1] + " after the family's samples");
          }
          if (parts[1].equals("TYPE")) {
            String type = parts.length == 4 ? parts[3] : "";
            if (!TYPES.contains(type)) {
              throw new IllegalArgumentException(where + "unknown type '" + type + "'");
            }
            if (types.put(name, type) != null) {
              throw new IllegalArgumentException(where + "a second TYPE line for " + name);
            }
          } else {
            String help = parts.length == 4 ? unescape(parts[3], false, where) : "";
            if (helps.put(name, help) != null) {
              throw new IllegalArgumentException(where + "a second HELP line for " + name);
            }
          }
        }
        continue; // other comments are allowed
      }
      Sample s = sample(line, where);
      String family = familyOf(s.name(), types);
      if (family == null) {
        throw new IllegalArgumentException(where + "no TYPE line before this sample");
      }
      if (!family.equals(current)) {
        if (current != null) {
          closed.add(current);
        }
        if (closed.contains(family)) {
          throw new IllegalArgumentException(where + "the samples of " + family + " are split by another family");
        }
        current = family;
      }
      String key = s.name() + new TreeMap<>(s.labels());
      if (!series.add(key)) {
        throw new IllegalArgumentException(where + "the series " + key + " appears twice");
      }
      samples.computeIfAbsent(family, k -> new ArrayList<>()).add(s);
    }
    Map<String, Family> families = new LinkedHashMap<>();
    for (Map.Entry<String, String> t : types.entrySet()) {
      Family f = new Family(t.getKey(), t.getValue(), helps.getOrDefault(t.getKey(), ""),
          List.copyOf(samples.getOrDefault(t.getKey(), List.of())));
      check(f);
      families.put(f.name(), f);
    }
    return families;
  }

  /** The family a sample name belongs to: itself, or for a histogram the name without its suffix. */
  private static String familyOf(String name, Map<String, String> types) {
    String type = types.get(name);
    if (type != null && !type.equals("histogram") && !type.equals("summary")) {
      return name;
    }
    for (String suffix : new String[] {"_bucket", "_sum", "_count"}) {
      if (name.endsWith(suffix)) {
        String base = name.substring(0, name.length() - suffix.length());
        String t = types.get(base);
        if ("histogram".equals(t) || ("summary".equals(t) && !suffix.equals("_bucket"))) {
          return base;
        }
      }
    }
    if ("summary".equals(type)) {
      return name; // quantile samples
    }
    return null;
  }

  private static void check(Family f) {
    switch (f.type()) {
      case "counter" -> {
        if (!f.name().endsWith("_total")) {
          throw new IllegalArgumentException("counter " + f.name() + " does not end with _total");
        }
        for (Sample s : f.samples()) {
          if (!(s.value() >= 0)) {
            throw new IllegalArgumentException("counter " + f.name() + " has the value " + s.value());
          }
        }
      }
      case "histogram" -> checkHistogram(f);
      default -> { }
    }
  }

  private static void checkHistogram(Family f) {
    Map<Map<String, String>, List<Sample>> buckets = new LinkedHashMap<>();
    Map<Map<String, String>, Double> sums = new HashMap<>();
    Map<Map<String, String>, Double> counts = new HashMap<>();
    for (Sample s : f.samples()) {
      Map<String, String> rest = new TreeMap<>(s.labels());
      String le = rest.remove("le");
      if (s.name().endsWith("_bucket")) {
        if (le == null) {
          throw new IllegalArgumentException(f.name() + ": a bucket without le");
        }
        buckets.computeIfAbsent(rest, k -> new ArrayList<>()).add(s);
      } else if (le != null) {
        throw new IllegalArgumentException(f.name() + ": le on " + s.name());
      } else if (s.name().endsWith("_sum")) {
        sums.put(rest, s.value());
      } else {
        counts.put(rest, s.value());
      }
    }
    Set<Map<String, String>> all = new HashSet<>(buckets.keySet());
    all.addAll(sums.keySet());
    all.addAll(counts.keySet());
    for (Map<String, String> labels : all) {
      List<Sample> b = buckets.getOrDefault(labels, List.of());
      double previousLe = Double.NEGATIVE_INFINITY;
      double previousCount = 0;
      for (Sample s : b) {
        double le = number(s.labels().get("le"), f.name() + " le");
        if (Double.isNaN(le) || le <= previousLe) {
          throw new IllegalArgumentException(f.name() + labels + ": buckets not in ascending le order at le=" + le);
        }
        if (s.value() < previousCount || Double.isNaN(s.value())) {
          throw new IllegalArgumentException(f.name() + labels + ": buckets not cumulative at le=" + le);
        }
        previousLe = le;
        previousCount = s.value();
      }
      if (b.isEmpty() || !b.get(b.size() - 1).labels().get("le").equals("+Inf")) {
        throw new IllegalArgumentException(f.name() + labels + ": no le=\"+Inf\" bucket");
      }
      if (!sums.containsKey(labels) || !counts.containsKey(labels)) {
        throw new IllegalArgumentException(f.name() + labels + ": _sum or _count missing");
      }
      if (counts.get(labels) != previousCount) {
        throw new IllegalArgumentException(f.name() + labels + ": _count " + counts.get(labels)
            + " is not the +Inf bucket " + previousCount);
      }
    }
  }

  private static Sample sample(String line, String where) {
    int i = 0;
    while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
      i++;
    }
    String name = line.substring(0, i);
    requireName(name, where);
    Map<String, String> labels = new LinkedHashMap<>();
    if (i < line.length() && line.charAt(i) == '{') {
      i++;
      while (true) {
        if (i >= line.length()) {
          throw new IllegalArgumentException(where + "unterminated labels");
        }
        if (line.charAt(i) == '}') {
          i++;
          break;
        }
        int eq = line.indexOf('=', i);
        if (eq < 0) {
          throw new IllegalArgumentException(where + "a label without =");
        }
        String label = line.substring(i, eq);
        if (!LABEL_NAME.matcher(label).matches() || label.startsWith("__")) {
          throw new IllegalArgumentException(where + "bad label name '" + label + "'");
        }
        if (eq + 1 >= line.length() || line.charAt(eq + 1) != '"') {
          throw new IllegalArgumentException(where + "label value not quoted");
        }
        int j = eq + 2;
        StringBuilder raw = new StringBuilder();
        while (true) {
          if (j >= line.length()) {
            throw new IllegalArgumentException(where + "unterminated label value");
          }
          char c = line.charAt(j);
          if (c == '"') {
            break;
          }
          if (c == '\\') {
            if (j + 1 >= line.length()) {
              throw new IllegalArgumentException(where + "a lone backslash");
            }
            raw.append(c).append(line.charAt(j + 1));
            j += 2;
          } else {
            raw.append(c);
            j++;
          }
        }
        if (labels.put(label, unescape(raw.toString(), true, where)) != null) {
          throw new IllegalArgumentException(where + "label " + label + " twice");
        }
        i = j + 1;
        if (i < line.length() && line.charAt(i) == ',') {
          i++;
        } else if (i >= line.length() || line.charAt(i) != '}') {
          throw new IllegalArgumentException(where + "labels not separated by ,");
        }
      }
    }
    if (i >= line.length() || line.charAt(i) != ' ') {
      throw new IllegalArgumentException(where + "no space before the value");
    }
    String[] rest = line.substring(i + 1).split(" ", -1);
    if (rest.length > 2 || (rest.length == 2 && !rest[1].matches("-?\\d+"))) {
      throw new IllegalArgumentException(where + "bad value or timestamp");
    }
    return new Sample(name, labels, number(rest[0], where));
  }

  private static double number(String text, String where) {
    if (!NUMBER.matcher(text).matches()) {
      throw new IllegalArgumentException(where + "'" + text + "' is not a number");
    }
    return switch (text) {
      case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      case "NaN", "+NaN", "-NaN" -> Double.NaN;
      default -> Double.parseDouble(text);
    };
  }

  private static void requireName(String name, String where) {
    if (!METRIC_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(where + "bad metric name '" + name + "'");
    }
  }

  /** Undoes the escapes: {@code \\} and {@code \n}, and in label values {@code \"}; any other is an error. */
  private static String unescape(String s, boolean labelValue, String where) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\n') {
        throw new IllegalArgumentException(where + "a raw line feed");
      }
      if (c != '\\') {
        b.append(c);
        continue;
      }
      if (i + 1 >= s.length()) {
        throw new IllegalArgumentException(where + "a lone backslash");
      }
      char e = s.charAt(++i);
      switch (e) {
        case '\\' -> b.append('\\');
        case 'n' -> b.append('\n');
        case '"' -> {
          if (!labelValue) {
            throw new IllegalArgumentException(where + "\\\" is not an escape in HELP text");
          }
          b.append('"');
        }
        default -> throw new IllegalArgumentException(where + "bad escape \\" + e);
      }
    }
    return b.toString();
  }
}
