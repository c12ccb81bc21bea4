/**
 * vconn-server's plugins, after Traffic Server's example plugins: the built-in routes, the in-process fan-out
 * fetcher, the null transform and the adopted-socket intercept; {@link dev.vconn.app.plugins.Plugin} is the
 * interface a new one implements.
 */
package dev.vconn.app.plugins;
