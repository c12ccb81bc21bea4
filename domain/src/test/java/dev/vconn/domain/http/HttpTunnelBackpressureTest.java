package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.VConn;
import dev.vconn.domain.VIO;
import dev.vconn.domain.WriteVio;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The tunnel streams bodies with VIO backpressure: however large the body, a slow reader on either side keeps the
 * proxy (and everything on the way) at a few blocks, and every byte arrives in order.
 */
class HttpTunnelBackpressureTest {
  static final String ORIGIN = "10.0.0.1:8080";
  static final int BLOCK = 32 * 1024;
  /**
   * The bound on everything the rig's pool has out while the reader pauses: client, proxy and origin together.
   * Measured: 17 blocks with Content-Length, 18 to 21 chunked (a chunk-size line written after a by-reference
   * append needs a block of its own), flat over the whole transfer.
   */
  static final long MAX_BLOCKS = 24;
  /** The bound on body bytes inside the proxy in one direction: head-sized read-ahead (64 KiB) plus the sink. */
  static final long MAX_PROXY_BYTES = 5L * BLOCK;
  /** Body byte {@code i} is {@code i % 251}: a shifted, dropped or repeated block shows. */
  static final byte[] PATTERN = new byte[251 + 2 * BLOCK];

  static {
    for (int i = 0; i < PATTERN.length; i++) {
      PATTERN[i] = (byte) (i % 251);
    }
  }

  static HttpRig rig(Consumer<HttpProxyConfig.Builder> more) {
    return new HttpRig(b -> {
      b.remap(RemapRule.parse("http://example.test/", "http://" + ORIGIN + "/"));
      more.accept(b);
    });
  }

  /**
   * Serves {@code size} pattern bytes per request, with Content-Length or chunked, producing at most a block ahead of
   * what the proxy took.
   */
  static final class StreamingOrigin implements Consumer<VConn> {
    final HttpRig rig;
    final long size;
    final boolean chunked;
    final Continuation cont = new Continuation(this::handle);
    VConn vconn;
    IOBuffer in;
    IOBufferReader inReader;
    IOBuffer out;
    IOBufferReader outReader;
    WriteVio write;
    final StringBuilder head = new StringBuilder();
    long produced;
    boolean closed;

    boolean ended;

    StreamingOrigin(HttpRig rig, long size, boolean chunked) {
      this.rig = rig;
      this.size = size;
      this.chunked = chunked;
      rig.server(ORIGIN, this);
      rig.closers.add(this::close);
    }

    @Override
    public void accept(VConn v) {
      vconn = v;
      in = new IOBuffer(rig.pool);
      inReader = in.allocReader();
      out = new IOBuffer(rig.pool);
      outReader = out.allocReader();
      v.read(cont, Long.MAX_VALUE, in);
    }

    private void handle(Event event, Object data) {
      if (closed || !(data instanceof VIO)) {
        return;
      }
      switch (event) {
        case READ_READY -> {
          byte[] b = new byte[(int) inReader.readAvail()];
          inReader.read(b, 0, b.length);
          head.append(new String(b, StandardCharsets.ISO_8859_1));
          if (write == null && head.indexOf("\r\n\r\n") >= 0) {
            byte[] h = ("HTTP/1.1 200 OK\r\n" + (chunked ? "Transfer-Encoding: chunked" : "Content-Length: " + size)
                + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
            out.write(h);
            write = vconn.write(cont, chunked ? Long.MAX_VALUE : h.length + size, outReader);
            fill();
          }
        }
        case WRITE_READY -> fill();
        case EOS, ERROR -> close();
        default -> { }
      }
    }

    /** Tops the write buffer up to one block; reenables only after adding (an empty reenable asks again at once). */
    private void fill() {
      boolean added = false;
      while (produced < size && outReader.readAvail() < BLOCK) {
        int n = (int) Math.min(BLOCK - 1000, size - produced); // odd sizes: chunks and blocks do not line up
        if (chunked) {
          out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        }
        out.write(PATTERN, (int) (produced % 251), n);
        if (chunked) {
          out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        produced += n;
        added = true;
      }
      if (chunked && produced == size && !ended) {
        ended = true;
        out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        added = true;
      }
      if (added) {
        write.reenable();
      }
    }

    void close() {
      cont.lock().lock();
      try {
        if (!closed && vconn != null) {
          closed = true;
          vconn.close();
          in.close();
          out.close();
        }
      } finally {
        cont.lock().unlock();
      }
    }
  }

  /** Checks a response byte by byte against the pattern without keeping it. */
  static final class PatternChecker implements HttpRig.Tap {
    final StringBuilder head = new StringBuilder();
    boolean inBody;
    long bodyBytes;
    long mismatches;
    long firstMismatch = -1;

    @Override
    public void bytes(byte[] b, int len) {
      int i = 0;
      while (!inBody && i < len) {
        head.append((char) (b[i++] & 0xff));
        inBody = head.length() >= 4 && head.lastIndexOf("\r\n\r\n") == head.length() - 4;
      }
      for (; i < len; i++, bodyBytes++) {
        if (b[i] != (byte) (bodyBytes % 251)) {
          if (mismatches++ == 0) {
            firstMismatch = bodyBytes;
          }
        }
      }
    }
  }

  @Test
  void one_gib_response_to_a_slow_client_holds_a_few_blocks_and_arrives_intact() {
    long size = 1L << 30;
    long step = 1L << 20;
    try (HttpRig rig = rig(b -> {})) {
      StreamingOrigin origin = new StreamingOrigin(rig, size, false);
      HttpRig.Client c = rig.client();
      PatternChecker checker = new PatternChecker();
      c.tap = checker;
      c.pauseReading();
      c.send("GET /huge HTTP/1.1\r\nHost: example.test\r\n\r\n");
      rig.run();
      long maxBlocks = 0;
      long maxAhead = 0;
      while (checker.bodyBytes < size) {
        long before = c.consumed;
        c.readUpTo(c.consumed + step);
        rig.run(); // goes idle once the client stops reading: nothing spins, nothing piles up
        assertTrue(c.consumed > before, "no progress at " + checker.bodyBytes);
        long blocks = rig.pool.outstanding();
        maxBlocks = Math.max(maxBlocks, blocks);
        assertTrue(blocks <= MAX_BLOCKS, () -> blocks + " blocks out while the client paused at "
            + checker.bodyBytes + ": " + rig.pool);
        maxAhead = Math.max(maxAhead, origin.produced - checker.bodyBytes);
        long inProxy = origin.produced - origin.outReader.readAvail() - checker.bodyBytes - c.inReader.readAvail();
        assertTrue(inProxy <= MAX_PROXY_BYTES, "the proxy holds " + inProxy + " body bytes");
      }
      assertEquals(size, checker.bodyBytes);
      assertEquals(0, checker.mismatches, () -> "first wrong byte at " + checker.firstMismatch);
      assertTrue(checker.head.toString().startsWith("HTTP/1.1 200 OK\r\n"), checker.head.toString());
      assertTrue(checker.head.toString().contains("Content-Length: " + size + "\r\n"), checker.head.toString());
      assertTrue(maxAhead <= 8L * BLOCK, "the origin ran " + maxAhead + " bytes ahead of the client");
      assertTrue(maxBlocks >= 4, "the measurement saw the pipeline full: " + maxBlocks);
      assertEquals(1, rig.log.size());
      assertEquals(size, rig.log.get(0).bytesOut() - checker.head.length());
    }
  }

  @Test
  void chunked_response_to_a_slow_client_is_bounded_and_intact_after_re_chunking() {
    long size = 64L << 20;
    try (HttpRig rig = rig(b -> {})) {
      StreamingOrigin origin = new StreamingOrigin(rig, size, true);
      HttpRig.Client c = rig.client();
      DechunkingChecker checker = new DechunkingChecker();
      c.tap = checker;
      c.pauseReading();
      c.send("GET /huge HTTP/1.1\r\nHost: example.test\r\n\r\n");
      rig.run();
      while (!checker.done) {
        long before = c.consumed;
        c.readUpTo(c.consumed + (256 << 10));
        rig.run();
        assertTrue(c.consumed > before, "no progress at " + checker.body.bodyBytes);
        assertTrue(rig.pool.outstanding() <= MAX_BLOCKS, rig.pool::toString);
        assertTrue(origin.produced - checker.body.bodyBytes <= 8L * BLOCK);
        long inProxy = origin.produced - origin.outReader.readAvail() - checker.body.bodyBytes - c.inReader.readAvail();
        assertTrue(inProxy <= MAX_PROXY_BYTES + 4096, "the proxy holds " + inProxy + " body bytes");
      }
      assertEquals(size, checker.body.bodyBytes);
      assertEquals(0, checker.body.mismatches, () -> "first wrong byte at " + checker.body.firstMismatch);
      assertTrue(checker.head.toString().contains("Transfer-Encoding: chunked\r\n"), checker.head.toString());
      assertEquals(1, rig.proxy.idleOriginConnections(), "the chunked body ended cleanly on the origin connection");
    }
  }

  /** Reads a chunked response and feeds the decoded body to a pattern checker. */
  static final class DechunkingChecker implements HttpRig.Tap {
    final StringBuilder head = new StringBuilder();
    final PatternChecker body = new PatternChecker();
    final StringBuilder line = new StringBuilder();
    boolean inBody;
    long chunkLeft;
    boolean afterData;
    boolean done;

    DechunkingChecker() {
      body.inBody = true;
    }

    @Override
    public void bytes(byte[] b, int len) {
      int i = 0;
      while (i < len) {
        if (!inBody) {
          head.append((char) (b[i++] & 0xff));
          inBody = head.length() >= 4 && head.lastIndexOf("\r\n\r\n") == head.length() - 4;
        } else if (chunkLeft > 0) {
          int n = (int) Math.min(chunkLeft, len - i);
          byte[] piece = new byte[n];
          System.arraycopy(b, i, piece, 0, n);
          body.bytes(piece, n);
          i += n;
          chunkLeft -= n;
          afterData = chunkLeft == 0;
        } else {
          char ch = (char) (b[i++] & 0xff);
          line.append(ch);
          if (ch == '\n') {
            String l = line.toString().trim();
            line.setLength(0);
            if (afterData) {
              if (!l.isEmpty()) {
                throw new AssertionError("chunk data not followed by CRLF: " + l);
              }
              afterData = false;
            } else if (chunkLeft == 0 && !l.isEmpty()) {
              chunkLeft = Long.parseLong(l, 16);
              if (chunkLeft == 0) {
                done = true; // trailers would follow; the proxy sends none
              }
            }
          }
        }
      }
    }
  }

  @Test
  void large_upload_to_a_slow_origin_holds_a_few_blocks_and_arrives_intact() {
    long size = 64L << 20;
    try (HttpRig rig = rig(b -> {})) {
      SlowReadingOrigin origin = new SlowReadingOrigin(rig);
      HttpRig.Client c = rig.client();
      // The client produces its body on WRITE_READY, a block at a time, like a well-behaved uploader.
      Uploader up = new Uploader(rig, c, "POST /up HTTP/1.1\r\nHost: example.test\r\nContent-Length: " + size
          + "\r\n\r\n", size);
      rig.run();
      long maxBlocks = 0;
      while (origin.checker.bodyBytes < size) {
        long before = origin.checker.bodyBytes;
        origin.readUpTo(origin.consumed + (1 << 20));
        rig.run();
        assertTrue(origin.checker.bodyBytes > before, "no progress");
        long blocks = rig.pool.outstanding();
        maxBlocks = Math.max(maxBlocks, blocks);
        assertTrue(blocks <= MAX_BLOCKS, () -> blocks + " blocks out: " + rig.pool);
        long inProxy = up.produced - up.reader.readAvail() - origin.consumed - origin.inReader.readAvail();
        assertTrue(inProxy <= MAX_PROXY_BYTES, "the proxy holds " + inProxy + " request body bytes");
        assertTrue(up.produced - origin.checker.bodyBytes <= 8L * BLOCK,
            "the client got " + (up.produced - origin.checker.bodyBytes) + " bytes ahead of the origin");
      }
      rig.run();
      assertEquals(0, origin.checker.mismatches, () -> "first wrong byte at " + origin.checker.firstMismatch);
      assertEquals(size, origin.checker.bodyBytes);
      assertEquals(1, rig.log.size(), "the origin answered once it had the whole body");
      assertEquals(200, rig.log.get(0).status());
      up.close();
    }
  }

  /** Writes a request head and then {@code size} pattern bytes on the client's VConn, a block at a time. */
  static final class Uploader {
    final HttpRig.Client client;
    final IOBuffer out;
    final IOBufferReader reader;
    final WriteVio write;
    final long size;
    long produced;

    Uploader(HttpRig rig, HttpRig.Client client, String head, long size) {
      this.client = client;
      this.size = size;
      out = new IOBuffer(rig.pool);
      reader = out.allocReader();
      byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
      out.write(h);
      Continuation cont = Continuation.sharingLockWith(client.cont, (event, data) -> {
        if (event == Event.WRITE_READY) {
          fill();
        }
      });
      cont.lock().lock();
      try {
        write = client.vconn.write(cont, h.length + size, reader); // replaces the rig client's own write
        fill();
      } finally {
        cont.lock().unlock();
      }
    }

    private void fill() {
      boolean added = false;
      while (produced < size && reader.readAvail() < BLOCK) {
        int n = (int) Math.min(BLOCK, size - produced);
        out.write(PATTERN, (int) (produced % 251), n);
        produced += n;
        added = true;
      }
      if (added) {
        write.reenable();
      }
    }

    void close() {
      client.cont.lock().lock();
      try {
        out.close();
      } finally {
        client.cont.lock().unlock();
      }
    }
  }

  /** An origin that consumes the request body only as the test allows, checking the pattern, then answers. */
  static final class SlowReadingOrigin implements Consumer<VConn> {
    final HttpRig rig;
    final Continuation cont = new Continuation(this::handle);
    final PatternChecker checker = new PatternChecker();
    final byte[] scratch = new byte[BLOCK];
    VConn vconn;
    IOBuffer in;
    IOBufferReader inReader;
    IOBuffer out;
    IOBufferReader outReader;
    long consumed;
    long limit;
    long contentLength = -1;
    boolean answered;
    boolean closed;

    SlowReadingOrigin(HttpRig rig) {
      this.rig = rig;
      rig.server(ORIGIN, this);
      rig.closers.add(this::close);
    }

    @Override
    public void accept(VConn v) {
      vconn = v;
      in = new IOBuffer(rig.pool);
      inReader = in.allocReader();
      out = new IOBuffer(rig.pool);
      outReader = out.allocReader();
      v.read(cont, Long.MAX_VALUE, in);
    }

    void readUpTo(long total) {
      cont.lock().lock();
      try {
        limit = total;
        drain();
        vconn.readVio().reenable();
      } finally {
        cont.lock().unlock();
      }
    }

    private void handle(Event event, Object data) {
      if (closed || !(data instanceof VIO)) {
        return;
      }
      switch (event) {
        case READ_READY -> drain();
        case EOS, ERROR -> close();
        default -> { }
      }
    }

    private void drain() {
      while (consumed < limit && inReader.readAvail() > 0) {
        int n = (int) Math.min(Math.min(inReader.readAvail(), limit - consumed), scratch.length);
        inReader.read(scratch, 0, n);
        consumed += n;
        checker.bytes(scratch, n);
      }
      if (contentLength < 0 && checker.inBody) {
        String h = checker.head.toString();
        int at = h.indexOf("Content-Length: ");
        contentLength = Long.parseLong(h.substring(at + 16, h.indexOf("\r\n", at)));
      }
      if (!answered && contentLength >= 0 && checker.bodyBytes == contentLength) {
        answered = true;
        out.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        vconn.write(cont, outReader.readAvail(), outReader);
      }
    }

    void close() {
      cont.lock().lock();
      try {
        if (!closed && vconn != null) {
          closed = true;
          vconn.close();
          in.close();
          out.close();
        }
      } finally {
        cont.lock().unlock();
      }
    }
  }
}
