/**
 * For transport implementors, not for users of VConns: the shared VIO core {@link dev.vconn.domain.spi.AbstractVConn}
 * that every transport extends (it implements every rule of docs/semantics.md, section 3, once; a transport only
 * moves bytes and reports readiness) and the {@link dev.vconn.domain.spi.LoopTimer} that event loop implementations
 * keep in their timer queue.
 *
 * <p>The package is exported so that transports in other modules can build on it; code that only uses VConns needs
 * nothing from it. Its types may change with the needs of transports (docs/modules.md).
 */
package dev.vconn.domain.spi;
