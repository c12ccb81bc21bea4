package dev.vconn.domain.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vconn.domain.buffer.BlockPool;
import dev.vconn.domain.buffer.IOBuffer;
import dev.vconn.domain.buffer.IOBufferReader;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ChunkedEncoderTest {
  private final BlockPool pool = new BlockPool();
  private final IOBuffer out = new IOBuffer(pool);
  private final IOBufferReader outReader = out.allocReader();
  private final ChunkedEncoder encoder = new ChunkedEncoder(out);

  @AfterEach
  void freesEveryBlock() {
    out.close();
    assertEquals(0, pool.outstanding(), "every block back in the pool");
  }

  @ParameterizedTest(name = "{0} bytes -> size line {1}")
  @CsvSource({"1, 1", "15, f", "16, 10", "255, ff", "4096, 1000", "20000, 4e20"})
  void oneChunkIsSizeInLowerCaseHexCrlfBytesCrlf(int size, String hex) {
    byte[] body = body(size, 'a');
    long written = encoder.writeChunk(body, 0, body.length);
    String expected = hex + "\r\n" + new String(body, StandardCharsets.ISO_8859_1) + "\r\n";
    assertEquals(expected.length(), written, "the framing is counted");
    assertEquals(expected, drain());
  }

  @ParameterizedTest(name = "{0} bytes")
  @CsvSource({"1", "15", "16", "4096", "70000"})
  void aChunkFromAReaderIsTheSameAndLeavesTheReaderAsItWas(int size) {
    IOBuffer in = new IOBuffer(pool);
    try {
      IOBufferReader reader = in.allocReader();
      byte[] body = body(size, 'b');
      in.write(body);
      long written = encoder.writeChunk(reader, size);
      assertEquals(size, reader.readAvail(), "nothing consumed: the caller consumes");
      String fromReader = drain();
      assertEquals(written, fromReader.length());
      encoder.writeChunk(body, 0, size);
      assertEquals(fromReader, drain());
    } finally {
      in.close();
    }
  }

  @Test
  void aBodyOfSeveralChunksDecodesToTheSameBytes() throws BadMessageException {
    byte[] body = body(5000, 'c');
    encoder.writeChunk(body, 0, 1);
    encoder.writeChunk(body, 1, 15);
    encoder.writeChunk(body, 16, 16);
    encoder.writeChunk(body, 32, 4096);
    encoder.writeChunk(body, 4128, body.length - 4128);
    long last = encoder.writeLastChunk();
    assertEquals(5, last);
    String encoded = drain();
    assertTrue(encoded.startsWith("1\r\nc\r\nf\r\n"), encoded.substring(0, 20));
    assertTrue(encoded.endsWith("\r\n0\r\n\r\n"), "ends with the last chunk");
    assertEquals(new String(body, StandardCharsets.ISO_8859_1), BodyDecoderChunkExtensionTest.decode(encoded, 200,
        1000), "the proxy's own decoder reads back the body");
  }

  @Test
  void theLastChunkIsZeroCrlfCrlf() {
    assertEquals(5, encoder.writeLastChunk());
    assertEquals("0\r\n\r\n", drain());
  }

  @Test
  void theLastChunkWithTrailersIsZeroCrlfEachFieldCrlfAndTheEmptyLine() throws BadMessageException {
    HttpHeaders trailers = new HttpHeaders().add("X-Checksum", "abc").add("Server-Timing", "db;dur=5");
    encoder.writeChunk(new byte[] {'x'}, 0, 1);
    long written = encoder.writeLastChunk(trailers);
    String expected = "1\r\nx\r\n0\r\nX-Checksum: abc\r\nServer-Timing: db;dur=5\r\n\r\n";
    assertEquals(expected.length() - "1\r\nx\r\n".length(), written, "the trailer section is counted");
    String encoded = drain();
    assertEquals(expected, encoded);
    IOBuffer in = new IOBuffer(pool);
    try {
      IOBufferReader reader = in.allocReader();
      in.write(encoded.getBytes(StandardCharsets.ISO_8859_1));
      BodyDecoder decoder = BodyDecoder.chunked(1024, 400);
      decoder.decode(reader, new BodyDecoder.Target() {
        @Override
        public long space() {
          return Long.MAX_VALUE;
        }

        @Override
        public void write(IOBufferReader from, long n) {
          from.consume(n);
        }
      });
      assertTrue(decoder.isDone());
      assertEquals(trailers, decoder.trailers(), "the decoder reads back what the encoder wrote");
    } finally {
      in.close();
    }
  }

  @Test
  void theLastChunkWithNoTrailersIsThePlainLastChunk() {
    assertEquals(5, encoder.writeLastChunk(new HttpHeaders()));
    assertEquals("0\r\n\r\n", drain());
  }

  @Test
  void aChunkOfZeroBytesIsRefusedBecauseItWouldEndTheBody() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> encoder.writeChunk(new byte[4], 0, 0));
    assertTrue(e.getMessage().contains("at least 1 byte"), e.getMessage());
    IOBuffer in = new IOBuffer(pool);
    try {
      assertThrows(IllegalArgumentException.class, () -> encoder.writeChunk(in.allocReader(), 0));
      in.write(new byte[3]);
      IOBufferReader reader = in.allocReader();
      assertThrows(IllegalArgumentException.class, () -> encoder.writeChunk(reader, 4), "more than the reader has");
    } finally {
      in.close();
    }
    assertEquals(0, outReader.readAvail(), "nothing written for a refused chunk");
  }

  private static byte[] body(int size, char first) {
    byte[] b = new byte[size];
    for (int i = 0; i < size; i++) {
      b[i] = (byte) (first + i % 26 > 'z' ? first + i % 26 - 26 : first + i % 26);
    }
    return b;
  }

  private String drain() {
    byte[] got = new byte[(int) outReader.readAvail()];
    outReader.read(got, 0, got.length);
    return new String(got, StandardCharsets.ISO_8859_1);
  }
}
