package dev.vconn.app.plugins;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.http.HttpHookId;
import dev.vconn.domain.http.HttpTxn;
import dev.vconn.domain.http.NullTransform;
import dev.vconn.plugin.Plugin;
import dev.vconn.plugin.PluginContext;
import dev.vconn.plugin.http.RequestTargets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Traffic Server's {@code null_transform} plugin: for requests whose path starts with one of the configured
 * prefixes, adds a {@link NullTransform} to the response, which passes the body through unchanged with
 * backpressure both ways. The visible effect is the transform's framing: the response loses its Content-Length and
 * goes to the client chunked.
 *
 * <p>Plugin {@value #NAME}; setting {@code plugin.null-transform.prefixes = /a/, /b/} (required; what
 * {@code --null-transform} sets).
 */
public final class NullTransformPlugin implements Plugin {
  /** The plugin's name. */
  public static final String NAME = "null-transform";

  private List<String> prefixes = List.of();
  private final AtomicLong added = new AtomicLong();

  /** Creates the plugin (found with ServiceLoader); {@link #init} configures it. */
  public NullTransformPlugin() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<String> describe() {
    return List.of(String.format("%-22s responses pass through the null transform (chunked)",
        String.join(",", prefixes) + "*"));
  }

  /**
   * Reads {@code plugin.null-transform.prefixes} and adds the READ_REQUEST_HDR hook.
   *
   * @param context the server's context
   * @throws IllegalArgumentException naming the key if the prefixes are missing or one does not start with /
   */
  @Override
  public void init(PluginContext context) {
    List<String> list = context.settings().getList("prefixes");
    if (list.isEmpty()) {
      context.settings().require("prefixes"); // names the key
    }
    for (String p : list) {
      if (!p.startsWith("/")) {
        throw new IllegalArgumentException(context.settings().qualified("prefixes")
            + ": a null transform prefix must start with /, was " + p);
      }
    }
    this.prefixes = list;
    context.addHook(HttpHookId.READ_REQUEST_HDR, new Continuation((event, data) -> {
      if (event != Event.HTTP_READ_REQUEST_HDR || !(data instanceof HttpTxn txn)) {
        return;
      }
      try {
        String path = RequestTargets.path(txn.clientRequest().target());
        if (prefixes.stream().anyMatch(path::startsWith)) {
          txn.addResponseTransform(new NullTransform()); // one transform instance per transaction
          added.incrementAndGet();
        }
      } finally {
        txn.reenable();
      }
    }));
  }

  /**
   * How many transactions got the transform so far.
   *
   * @return the count
   */
  public long transformsAdded() {
    return added.get();
  }
}
