/**
 * The vconn-server application: the runnable proxy, its configuration and example plugins (to be built by the vconn-server issue).
 */
package dev.vconn.app;
