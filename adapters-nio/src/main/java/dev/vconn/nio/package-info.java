/**
 * The java.nio transport: selector event loops and socket VConns driven by the domain's shared VIO core (to be built by the nio adapter issue).
 */
package dev.vconn.nio;
