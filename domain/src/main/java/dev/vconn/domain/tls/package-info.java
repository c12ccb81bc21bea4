/**
 * TLS as a VConn over any VConn, built once on {@link javax.net.ssl.SSLEngine}: {@link dev.vconn.domain.tls.TlsVConn}
 * and its configuration {@link dev.vconn.domain.tls.TlsContext}. See {@code docs/tls.md}.
 */
package dev.vconn.domain.tls;
