package dev.vconn.domain.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One HTTP/1.x response as a client received it, parsed strictly by the test (independently of the proxy's own
 * parser): framing is checked, and a chunked body is decoded.
 *
 * @param version the version in the status line
 * @param status the status code
 * @param reason the reason phrase
 * @param fields the header fields in order, each {name, value}
 * @param body the decoded body
 * @param chunked whether the body came chunk-encoded
 * @param closeDelimited whether the body had no framing and ran to the end of what was received
 */
record Response(String version, int status, String reason, List<String[]> fields, String body, boolean chunked,
    boolean closeDelimited) {

  /** The first value of a header field, or null. */
  String header(String name) {
    for (String[] f : fields) {
      if (f[0].equalsIgnoreCase(name)) {
        return f[1];
      }
    }
    return null;
  }

  boolean has(String name) {
    return header(name) != null;
  }

  /** The comma-separated tokens of a field, lower case. */
  List<String> tokens(String name) {
    List<String> out = new ArrayList<>();
    for (String[] f : fields) {
      if (f[0].equalsIgnoreCase(name)) {
        for (String t : f[1].split(",")) {
          if (!t.isBlank()) {
            out.add(t.trim().toLowerCase(Locale.ROOT));
          }
        }
      }
    }
    return out;
  }

  /**
   * Splits everything received on a connection into responses. Interim (1xx) responses are returned too but use up
   * no method.
   *
   * @param raw the received bytes as ISO-8859-1
   * @param methods the methods of the requests in order; missing ones count as GET
   * @return the responses
   * @throws AssertionError if the bytes are not a sequence of whole, well-framed responses
   */
  static List<Response> parseAll(String raw, String... methods) {
    List<Response> out = new ArrayList<>();
    int pos = 0;
    int request = 0;
    while (pos < raw.length()) {
      int end = raw.indexOf("\r\n\r\n", pos);
      if (end < 0) {
        throw new AssertionError("incomplete response head at " + pos + " in: " + raw);
      }
      String[] lines = raw.substring(pos, end).split("\r\n", -1);
      String[] start = lines[0].split(" ", 3);
      if (start.length < 2 || !start[0].startsWith("HTTP/1.")) {
        throw new AssertionError("bad status line '" + lines[0] + "' in: " + raw);
      }
      int status = Integer.parseInt(start[1]);
      List<String[]> fields = new ArrayList<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon <= 0) {
          throw new AssertionError("bad header line '" + lines[i] + "' in: " + raw);
        }
        fields.add(new String[] {lines[i].substring(0, colon), lines[i].substring(colon + 1).trim()});
      }
      pos = end + 4;
      Response head = new Response(start[0], status, start.length > 2 ? start[2] : "", fields, "", false, false);
      if (status < 200) {
        out.add(head);
        continue;
      }
      String method = request < methods.length ? methods[request] : "GET";
      request++;
      String body;
      boolean chunked = false;
      boolean closeDelimited = false;
      String te = head.header("Transfer-Encoding");
      String cl = head.header("Content-Length");
      if (method.equals("HEAD") || status == 204 || status == 304) {
        body = "";
      } else if (te != null) {
        if (!te.equalsIgnoreCase("chunked")) {
          throw new AssertionError("unexpected Transfer-Encoding " + te);
        }
        if (cl != null) {
          throw new AssertionError("both Content-Length and Transfer-Encoding in: " + raw);
        }
        chunked = true;
        StringBuilder b = new StringBuilder();
        while (true) {
          int lineEnd = raw.indexOf("\r\n", pos);
          if (lineEnd < 0) {
            throw new AssertionError("incomplete chunk size line in: " + raw);
          }
          int size = Integer.parseInt(raw.substring(pos, lineEnd).split(";")[0].trim(), 16);
          pos = lineEnd + 2;
          if (size == 0) {
            int trailerEnd = raw.indexOf("\r\n", pos);
            while (trailerEnd > pos) { // trailer fields, up to the empty line
              pos = trailerEnd + 2;
              trailerEnd = raw.indexOf("\r\n", pos);
            }
            if (trailerEnd < 0) {
              throw new AssertionError("incomplete last chunk in: " + raw);
            }
            pos = trailerEnd + 2;
            break;
          }
          if (pos + size + 2 > raw.length() || !raw.startsWith("\r\n", pos + size)) {
            throw new AssertionError("incomplete or unterminated chunk in: " + raw);
          }
          b.append(raw, pos, pos + size);
          pos += size + 2;
        }
        body = b.toString();
      } else if (cl != null) {
        int n = Integer.parseInt(cl);
        if (pos + n > raw.length()) {
          throw new AssertionError("body shorter than Content-Length " + n + " in: " + raw);
        }
        body = raw.substring(pos, pos + n);
        pos += n;
      } else {
        closeDelimited = true;
        body = raw.substring(pos);
        pos = raw.length();
      }
      out.add(new Response(head.version, status, head.reason, fields, body, chunked, closeDelimited));
    }
    return out;
  }
}
