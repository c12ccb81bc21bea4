import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Sums a JFR recording for bench/profile.sh (run as a single source file: {@code java bench/lib/JfrSummary.java FILE
 * SECONDS}). Only the last SECONDS of the recording count (JMH's measurement iterations, not its warm-up). Prints
 * tab-separated lines, heaviest first:
 * <pre>
 * alloc_total  BYTES  EVENTS         bytes of the allocation events and their number
 * exec_total   SAMPLES               jdk.ExecutionSample events
 * alloc  CLASS  BYTES  SITE  EVENTS  per allocated class: its bytes, the vconn frame that allocated most of them, and
 *                                    its number of events
 * exec   FRAME  SAMPLES              per top frame (self) of the execution samples
 * </pre>
 * Allocation events are jdk.ObjectAllocationOutsideTLAB (with -XX:-UseTLAB: one per object, its size) or
 * jdk.ObjectAllocationSample (its weight: what the thread allocated since its previous sample); the script scales the
 * bytes per class to JMH's {@code gc.alloc.rate.norm}.
 */
public final class JfrSummary {
  private static final String OWN_PACKAGE = "dev.vconn.";

  private JfrSummary() {
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: java JfrSummary.java RECORDING.jfr SECONDS");
      System.exit(2);
    }
    List<RecordedEvent> events = RecordingFile.readAllEvents(Path.of(args[0]));
    Instant end = Instant.MIN;
    for (RecordedEvent e : events) {
      if (e.getEndTime().isAfter(end)) {
        end = e.getEndTime();
      }
    }
    Instant from = end.minus(Duration.ofMillis(Math.round(Double.parseDouble(args[1]) * 1000)));
    Map<String, Long> allocByClass = new HashMap<>();
    Map<String, Long> allocSamplesByClass = new HashMap<>();
    Map<String, Map<String, Long>> allocSites = new HashMap<>();
    Map<String, Long> execByFrame = new HashMap<>();
    long allocTotal = 0;
    long allocSamples = 0;
    long execSamples = 0;
    for (RecordedEvent e : events) {
      if (e.getStartTime().isBefore(from)) {
        continue;
      }
      switch (e.getEventType().getName()) {
        case "jdk.ObjectAllocationSample", "jdk.ObjectAllocationOutsideTLAB" -> {
          long weight = e.hasField("weight") ? e.getLong("weight") : e.getLong("allocationSize");
          String type = e.getClass("objectClass").getName();
          allocTotal += weight;
          allocSamples++;
          allocByClass.merge(type, weight, Long::sum);
          allocSamplesByClass.merge(type, 1L, Long::sum);
          allocSites.computeIfAbsent(type, k -> new HashMap<>()).merge(site(e.getStackTrace()), weight, Long::sum);
        }
        case "jdk.ExecutionSample" -> {
          execSamples++;
          RecordedStackTrace stack = e.getStackTrace();
          String frame = stack == null || stack.getFrames().isEmpty() ? "(no stack)" : name(stack.getFrames().get(0));
          execByFrame.merge(frame, 1L, Long::sum);
        }
        default -> { }
      }
    }
    System.out.println("alloc_total\t" + allocTotal + "\t" + allocSamples);
    System.out.println("exec_total\t" + execSamples);
    allocByClass.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).forEach(c -> {
      String site = allocSites.get(c.getKey()).entrySet().stream().max(Map.Entry.comparingByValue())
          .map(Map.Entry::getKey).orElse("-");
      System.out.println("alloc\t" + shortName(c.getKey()) + "\t" + c.getValue() + "\t" + site + "\t"
          + allocSamplesByClass.get(c.getKey()));
    });
    execByFrame.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .forEach(f -> System.out.println("exec\t" + f.getKey() + "\t" + f.getValue()));
  }

  /** The first vconn frame of an allocation's stack (the code that asked for the object), else its top frame. */
  private static String site(RecordedStackTrace stack) {
    if (stack == null || stack.getFrames().isEmpty()) {
      return "(no stack)";
    }
    for (RecordedFrame f : stack.getFrames()) {
      if (f.isJavaFrame() && f.getMethod().getType().getName().startsWith(OWN_PACKAGE)) {
        return name(f);
      }
    }
    return name(stack.getFrames().get(0));
  }

  private static String name(RecordedFrame f) {
    return shortName(f.getMethod().getType().getName()) + "." + f.getMethod().getName();
  }

  /**
   * Drops the project's common package prefix ({@code domain.buffer.IOBuffer} instead of {@code
   * dev.vconn.domain.buffer.IOBuffer}) and a lambda class's number and address, so one lambda is one name in every run.
   */
  private static String shortName(String className) {
    String name = className.startsWith(OWN_PACKAGE) ? className.substring(OWN_PACKAGE.length()) : className;
    int lambda = name.indexOf("$$Lambda");
    return lambda < 0 ? name : name.substring(0, lambda + "$$Lambda".length());
  }
}
