package dev.vconn.inmemory.http2;

import static dev.vconn.inmemory.http2.Http2ClientKit.headerFrames;
import static dev.vconn.inmemory.http2.Http2ClientKit.request;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vconn.domain.http2.Http2Config;
import dev.vconn.domain.http2.Http2ErrorCode;
import dev.vconn.domain.http2.Http2Setting;
import org.junit.jupiter.api.Test;

/**
 * RFC 9113, section 4.3 (field section compression) and RFC 7541: a header block that cannot be decoded is a
 * connection error of type COMPRESSION_ERROR (the dynamic table is out of sync); the dynamic table carries over
 * between streams; a table size update above SETTINGS_HEADER_TABLE_SIZE or not at the start of a block is a
 * decoding error (RFC 7541, section 4.2 and 6.3); the server's own encoder follows the client's
 * SETTINGS_HEADER_TABLE_SIZE.
 */
class Http2ConformanceHpackTest extends Http2ConformanceSupport {

  private void assertCompressionError(byte[] block) {
    Http2Harness.Conn c = open();
    c.exchange(headerFrames(1, true, block, Http2ClientKit.DEFAULT_MAX_FRAME));
    assertConnectionError(c, Http2ErrorCode.COMPRESSION_ERROR);
    assertEquals(0, h.intercept.requests().size());
  }

  @Test
  void index_zero_is_a_compression_error() {
    // RFC 7541, section 6.1: index 0 is not used.
    assertCompressionError(new byte[] {(byte) 0x82, (byte) 0x80});
  }

  @Test
  void an_index_beyond_both_tables_is_a_compression_error() {
    // Index 70 with an empty dynamic table (RFC 7541, section 2.3.3).
    assertCompressionError(new byte[] {(byte) 0x82, (byte) 0xc6});
  }

  @Test
  void a_table_size_update_above_the_setting_is_a_compression_error() {
    // 001 11111 + 4097-31 = 4066: 0xe2 0x1f.
    assertCompressionError(new byte[] {0x3f, (byte) 0xe2, 0x1f, (byte) 0x82});
  }

  @Test
  void a_table_size_update_after_a_field_is_a_compression_error() {
    assertCompressionError(new byte[] {(byte) 0x82, 0x20});
  }

  @Test
  void a_string_longer_than_the_block_is_a_compression_error() {
    // Literal without indexing, new name, name length 10 but 2 octets follow.
    assertCompressionError(new byte[] {(byte) 0x82, 0x00, 0x0a, 'a', 'b'});
  }

  @Test
  void huffman_padding_longer_than_seven_bits_is_a_compression_error() {
    // RFC 7541, section 5.2: padding longer than 7 bits (here a whole octet of ones) is a decoding error.
    assertCompressionError(new byte[] {(byte) 0x82, 0x00, (byte) 0x82, (byte) 0xff, (byte) 0xff, 0x01, 'a'});
  }

  @Test
  void an_integer_overflowing_32_bits_is_a_compression_error() {
    assertCompressionError(new byte[] {(byte) 0x82, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
        (byte) 0xff, (byte) 0xff, 0x0f});
  }

  @Test
  void a_truncated_block_is_a_compression_error() {
    assertCompressionError(new byte[] {(byte) 0x82, 0x40});
  }

  @Test
  void the_dynamic_table_carries_over_between_streams() {
    Http2Harness.Conn c = open();
    // The kit's encoder indexes x-custom on stream 1 and refers to it by index on stream 3.
    c.exchange(c.kit.headers(1, true, req("GET", "/i/hello", "x-custom", "value-1")));
    byte[] second = c.kit.block(req("GET", "/i/hello", "x-custom", "value-1"));
    c.exchange(headerFrames(3, true, second, Http2ClientKit.DEFAULT_MAX_FRAME));
    assertEquals(200, c.kit.stream(1).status(), c::describe);
    assertEquals(200, c.kit.stream(3).status(), c::describe);
    assertEquals("value-1", h.intercept.requests().get(1).head().headers().get("x-custom"));
  }

  @Test
  void the_server_encoder_follows_a_header_table_size_of_zero() {
    Http2Harness.Conn c = open(Http2Config.defaults());
    c.exchange(Http2ClientKit.settings(Http2ClientKit.id(Http2Setting.HEADER_TABLE_SIZE), 0));
    // The client applies its own setting once acknowledged: from now on the server must not index.
    c.kit.setHeaderTableSize(0);
    assertServes(c, 1);
    assertServes(c, 3);
  }

  @Test
  void a_header_list_above_max_header_list_size_gets_431_and_the_connection_goes_on() {
    Http2Harness.Conn c = open(Http2Config.builder().maxHeaderListSize(1000).build());
    c.exchange(c.kit.headers(1, true, req("GET", "/i/hello", "x-big", "v".repeat(2000))));
    h.settle();
    assertEquals(431, c.kit.stream(1).status(), c::describe);
    assertEquals(0, h.intercept.requests().size());
    assertServes(c, 3);
  }
}
