/**
 * The admin listener of vconn-server ({@link dev.vconn.app.admin.AdminServer}: {@code /metrics}, {@code /healthz},
 * {@code /readyz}, {@code POST /reload}) and its metrics: the families ({@link dev.vconn.app.admin.ServerMetrics},
 * the one list of them) written in the Prometheus text format ({@link dev.vconn.app.admin.PrometheusText}).
 * docs/server.md, "Operating vconn-server", lists what they serve.
 */
package dev.vconn.app.admin;
