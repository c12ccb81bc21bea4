/**
 * HPACK header compression (RFC 7541) for the HTTP/2 codec: {@link dev.vconn.domain.http2.hpack.HpackDecoder},
 * {@link dev.vconn.domain.http2.hpack.HpackEncoder}, the {@link dev.vconn.domain.http2.hpack.HeaderField} they
 * exchange and the {@link dev.vconn.domain.http2.hpack.HpackException} a malformed block raises.
 *
 * <p>Names and values are octet strings; this package carries them as {@code String}s whose chars are the octets
 * (ISO-8859-1), so no byte is ever lost or replaced. One decoder and one encoder belong to one HTTP/2 connection and
 * are used from its continuation only (not thread-safe). See {@code docs/http2.md}.
 */
package dev.vconn.domain.http2.hpack;
