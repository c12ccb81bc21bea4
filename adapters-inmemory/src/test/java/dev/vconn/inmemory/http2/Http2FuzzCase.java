package dev.vconn.inmemory.http2;

import dev.vconn.domain.http2.Http2ErrorCode;
import dev.vconn.domain.http2.Http2Setting;
import dev.vconn.domain.http2.hpack.HeaderField;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * One fuzzed HTTP/2 client connection, a pure function of its seed: a valid exchange (preface, SETTINGS, a few
 * requests to the intercept and the origin with bodies, CONTINUATION splits, PING, PRIORITY, WINDOW_UPDATE, unknown
 * frames, resets) as a list of frames, then 0..4 mutations of that list (bits flipped, a frame truncated, two frames
 * swapped, a length field changed, a random type, flags or stream id, a random frame inserted, a frame duplicated or
 * dropped), cut into random slices for delivery. An unmutated case knows what every stream must receive.
 */
final class Http2FuzzCase {
  /** What an unmutated stream must receive. */
  record Expect(int streamId, byte[] body) {
  }

  final long seed;
  final List<byte[]> frames = new ArrayList<>();
  final List<String> mutations = new ArrayList<>();
  final List<Expect> expected = new ArrayList<>();
  /** The payloads of the PINGs of the valid exchange, in order. */
  final List<Long> pings = new ArrayList<>();
  /** Slice boundaries (octet offsets into {@link #bytes()}), ascending, excluding 0 and the end. */
  final int[] cuts;
  /** Whether the valid exchange ends with the client's GOAWAY (the server may then close once its streams are done). */
  boolean clientGoAway;
  /** Whether the client closes at the end (rather than the harness closing it after the probe). */
  final boolean clientCloses;
  private final Random r;

  Http2FuzzCase(long seed, Http2ClientKit kit) {
    this.seed = seed;
    this.r = new Random(seed);
    build(kit);
    int mutationCount = r.nextInt(10) < 3 ? 0 : 1 + r.nextInt(4);
    for (int i = 0; i < mutationCount; i++) {
      mutate();
    }
    if (!mutations.isEmpty()) {
      expected.clear();
    }
    int total = bytes().length;
    int slices = 1 + r.nextInt(5);
    int[] c = new int[slices - 1];
    for (int i = 0; i < c.length; i++) {
      c[i] = 1 + r.nextInt(Math.max(1, total - 1));
    }
    Arrays.sort(c);
    this.cuts = c;
    this.clientCloses = r.nextBoolean();
  }

  boolean mutated() {
    return !mutations.isEmpty();
  }

  /** Every frame, concatenated. */
  byte[] bytes() {
    return Http2ClientKit.concat(frames.toArray(new byte[0][]));
  }

  /** The slices to send one after the other. */
  List<byte[]> slices() {
    byte[] all = bytes();
    List<byte[]> out = new ArrayList<>();
    int from = 0;
    for (int cut : cuts) {
      if (cut > from && cut < all.length) {
        out.add(Arrays.copyOfRange(all, from, cut));
        from = cut;
      }
    }
    out.add(Arrays.copyOfRange(all, from, all.length));
    return out;
  }

  private void build(Http2ClientKit kit) {
    frames.add(Http2ClientKit.PREFACE);
    List<Long> settings = new ArrayList<>();
    if (r.nextBoolean()) {
      settings.add((long) Http2Setting.INITIAL_WINDOW_SIZE.id());
      settings.add((long) (1000 + r.nextInt(1 << 20)));
    }
    if (r.nextBoolean()) {
      settings.add((long) Http2Setting.ENABLE_PUSH.id());
      settings.add(0L);
    }
    if (r.nextBoolean()) {
      settings.add((long) Http2Setting.MAX_CONCURRENT_STREAMS.id());
      settings.add((long) r.nextInt(200));
    }
    frames.add(Http2ClientKit.settings(settings.stream().mapToLong(Long::longValue).toArray()));
    frames.add(Http2ClientKit.settingsAck());
    int streams = 1 + r.nextInt(4);
    int sid = 1 + 2 * r.nextInt(3);
    for (int i = 0; i < streams; i++) {
      addExtras();
      addStream(kit, sid);
      sid += 2 * (1 + r.nextInt(2));
    }
    addExtras();
    if (r.nextInt(4) == 0) {
      frames.add(Http2ClientKit.goAway(0, Http2ErrorCode.NO_ERROR));
      clientGoAway = true;
    }
  }

  private void addExtras() {
    switch (r.nextInt(8)) {
      case 0 -> {
        long opaque = r.nextLong();
        pings.add(opaque);
        frames.add(Http2ClientKit.ping(false, opaque));
      }
      case 1 -> frames.add(Http2ClientKit.priority(1 + 2 * r.nextInt(10), 0, r.nextBoolean(), r.nextInt(256)));
      case 2 -> frames.add(Http2ClientKit.windowUpdate(0, 1 + r.nextInt(100_000)));
      case 3 -> frames.add(Http2ClientKit.frame(0x0a + r.nextInt(0xf0), r.nextInt(256), r.nextInt(8),
          randomBytes(r.nextInt(20))));
      default -> { }
    }
  }

  private void addStream(Http2ClientKit kit, int sid) {
    int kind = r.nextInt(6);
    byte[] body = null;
    String path;
    String method = "GET";
    byte[] expect;
    switch (kind) {
      case 0 -> {
        path = "/i/hello";
        expect = bytes("hello h2");
      }
      case 1 -> {
        int n = r.nextInt(30_000);
        path = "/i/len/" + n;
        expect = Http2Harness.PATTERN.bytes(0, n);
      }
      case 2 -> {
        int n = r.nextInt(30_000);
        path = "/i/chunk/" + n;
        expect = Http2Harness.PATTERN.bytes(0, n);
      }
      case 3 -> {
        path = "/o/hello";
        expect = bytes("hello h2");
      }
      default -> {
        path = r.nextBoolean() ? "/i/echo" : "/o/echo";
        method = "POST";
        body = randomBytes(r.nextInt(5000));
        expect = body;
      }
    }
    List<HeaderField> fields = new ArrayList<>(Http2ClientKit.request(method, path));
    if (body != null && r.nextBoolean()) {
      fields.add(new HeaderField("content-length", Integer.toString(body.length)));
    }
    if (r.nextBoolean()) {
      fields.add(new HeaderField("x-fuzz", Long.toHexString(r.nextLong())));
    }
    int fragment = r.nextInt(3) == 0 ? 5 + r.nextInt(60) : Http2ClientKit.DEFAULT_MAX_FRAME;
    byte[] block = kit.block(fields);
    byte[] headers = Http2ClientKit.headerFrames(sid, body == null, block, fragment);
    splitFrames(headers);
    if (body != null) {
      int pieces = 1 + r.nextInt(3);
      int from = 0;
      for (int p = 0; p < pieces; p++) {
        int to = p == pieces - 1 ? body.length : from + r.nextInt(body.length - from + 1);
        frames.add(Http2ClientKit.data(sid, p == pieces - 1, Arrays.copyOfRange(body, from, to)));
        from = to;
      }
    }
    if (r.nextInt(8) == 0) {
      frames.add(Http2ClientKit.rstStream(sid, Http2ErrorCode.CANCEL));
    } else {
      expected.add(new Expect(sid, expect));
    }
  }

  /** Adds each frame of {@code octets} (well-formed frames, concatenated) as its own list entry. */
  private void splitFrames(byte[] octets) {
    int pos = 0;
    while (pos < octets.length) {
      int len = (octets[pos] & 0xff) << 16 | (octets[pos + 1] & 0xff) << 8 | (octets[pos + 2] & 0xff);
      frames.add(Arrays.copyOfRange(octets, pos, pos + 9 + len));
      pos += 9 + len;
    }
  }

  private void mutate() {
    // Never the preface itself (index 0) in most cases: a broken preface ends everything at once.
    int lo = r.nextInt(20) == 0 ? 0 : 1;
    int i = lo + r.nextInt(frames.size() - lo);
    byte[] f = frames.get(i);
    if (f.length == 0) {
      // A frame an earlier mutation truncated to nothing: nothing left to mutate in it.
      frames.remove(i);
      mutations.add("empty frame " + i + " dropped");
      return;
    }
    switch (r.nextInt(9)) {
      case 0 -> {
        int flips = 1 + r.nextInt(3);
        byte[] g = f.clone();
        for (int k = 0; k < flips; k++) {
          g[r.nextInt(g.length)] ^= (byte) (1 << r.nextInt(8));
        }
        frames.set(i, g);
        mutations.add("flipped " + flips + " bit(s) in frame " + i);
      }
      case 1 -> {
        int keep = r.nextInt(f.length);
        frames.set(i, Arrays.copyOf(f, keep));
        mutations.add("truncated frame " + i + " to " + keep + " octets");
      }
      case 2 -> {
        int j = 1 + r.nextInt(frames.size() - 1);
        frames.set(i, frames.get(j));
        frames.set(j, f);
        mutations.add("swapped frames " + i + " and " + j);
      }
      case 3 -> {
        if (f.length >= 9 && i > 0) {
          byte[] g = f.clone();
          int len = r.nextBoolean() ? Math.max(0, f.length - 9 + r.nextInt(17) - 8) : r.nextInt(1 << 24);
          g[0] = (byte) (len >>> 16);
          g[1] = (byte) (len >>> 8);
          g[2] = (byte) len;
          frames.set(i, g);
          mutations.add("length of frame " + i + " set to " + len);
        }
      }
      case 4 -> {
        if (f.length >= 9 && i > 0) {
          byte[] g = f.clone();
          int what = r.nextInt(3);
          if (what == 0) {
            g[3] = (byte) r.nextInt(16);
          } else if (what == 1) {
            g[4] = (byte) r.nextInt(256);
          } else {
            int sid = r.nextBoolean() ? r.nextInt(12) : r.nextInt();
            System.arraycopy(Http2ClientKit.int4(sid), 0, g, 5, 4);
          }
          frames.set(i, g);
          mutations.add(new String[] {"type", "flags", "stream id"}[what] + " of frame " + i + " randomised");
        }
      }
      case 5 -> {
        int type = r.nextInt(11);
        byte[] g = Http2ClientKit.frame(type, r.nextInt(256), r.nextInt(12), randomBytes(r.nextInt(24)));
        frames.add(i, g);
        mutations.add("random frame of type " + type + " inserted at " + i);
      }
      case 6 -> {
        frames.add(i, f);
        mutations.add("frame " + i + " duplicated");
      }
      case 7 -> {
        if (i > 0) {
          frames.remove(i);
          mutations.add("frame " + i + " dropped");
        }
      }
      default -> {
        byte[] g = randomBytes(1 + r.nextInt(40));
        frames.add(i, g);
        mutations.add(g.length + " random octets inserted at " + i);
      }
    }
  }

  private byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  /** A line naming the case. */
  String describe() {
    return "seed " + seed + ": " + frames.size() + " frames, " + (mutations.isEmpty() ? "unmutated"
        : "mutations " + mutations) + ", " + (cuts.length + 1) + " slice(s), " + (clientCloses ? "client closes"
        : "client waits");
  }

  /** Every frame as hex, for a replay. */
  String dump() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < frames.size(); i++) {
      byte[] f = frames.get(i);
      sb.append("\n    ").append(i).append(": ");
      for (int k = 0; k < Math.min(f.length, 64); k++) {
        sb.append(String.format("%02x", f[k] & 0xff));
      }
      if (f.length > 64) {
        sb.append("... (").append(f.length).append(" octets)");
      }
    }
    return sb.toString();
  }
}
