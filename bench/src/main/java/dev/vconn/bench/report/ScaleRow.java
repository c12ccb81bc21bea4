package dev.vconn.bench.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One line of {@code ConnectionScale}'s CSV: the memory {@code connections} idle connections (two ends each, both in
 * the measuring process) added, in bytes.
 *
 * @param transport   the transport
 * @param mode        {@code read} (each end has an idle read posted) or {@code noread} (VConns alone)
 * @param connections how many connections were open
 * @param heapBytes   heap growth after full GC
 * @param directBytes JVM direct buffer growth
 * @param poolBytes   bytes of pooled blocks handed out
 * @param rssBytes    resident set growth
 * @param fdLimit     the open-files limit that capped {@code connections}
 */
public record ScaleRow(String transport, String mode, int connections, long heapBytes, long directBytes,
                       long poolBytes, long rssBytes, long fdLimit) {

    /** Heap plus direct memory per end (one VConn and its idle session), in bytes. */
    public double perEnd() {
        return (heapBytes + directBytes) / (2.0 * connections);
    }

    /** Reads the CSV {@code ConnectionScale --out} writes (columns found by header name). */
    public static List<ScaleRow> read(Path file) throws IOException {
        return parse(Files.readAllLines(file, StandardCharsets.UTF_8));
    }

    /** Parses the CSV lines, header first; blank lines are skipped. */
    public static List<ScaleRow> parse(List<String> lines) {
        if (lines.isEmpty()) {
            return List.of();
        }
        List<String> header = Arrays.asList(lines.get(0).trim().split(","));
        List<ScaleRow> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.trim().split(",");
            rows.add(new ScaleRow(field(header, f, "transport"), field(header, f, "mode"),
                    Integer.parseInt(field(header, f, "connections")), number(header, f, "heap_bytes"),
                    number(header, f, "direct_bytes"), number(header, f, "pool_bytes"),
                    number(header, f, "rss_bytes"), number(header, f, "open_files_limit")));
        }
        return rows;
    }

    private static String field(List<String> header, String[] f, String name) {
        int i = header.indexOf(name);
        if (i < 0 || i >= f.length) {
            throw new IllegalArgumentException("ConnectionScale CSV: no column " + name + " in " + header);
        }
        return f[i];
    }

    private static long number(List<String> header, String[] f, String name) {
        return Long.parseLong(field(header, f, name));
    }
}
