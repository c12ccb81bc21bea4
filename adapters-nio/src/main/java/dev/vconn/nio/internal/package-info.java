/** Internals of the java.nio transport: the selector loop, socket VConns and the port implementations. */
package dev.vconn.nio.internal;
