package dev.vconn.app.plugins;

import dev.vconn.app.http.RequestTargets;
import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.http.HttpHookId;
import dev.vconn.domain.http.HttpHooks;
import dev.vconn.domain.http.HttpTxn;
import dev.vconn.domain.http.NullTransform;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Traffic Server's {@code null_transform} plugin: for requests whose path starts with one of the configured
 * prefixes, adds a {@link NullTransform} to the response, which passes the body through unchanged with
 * backpressure both ways. The visible effect is the transform's framing: the response loses its Content-Length and
 * goes to the client chunked.
 */
public final class NullTransformPlugin implements Plugin {
  private final List<String> prefixes;
  private final AtomicLong added = new AtomicLong();

  /**
   * Creates the plugin.
   *
   * @param prefixes the path prefixes whose responses are transformed, each starting with {@code /}
   * @throws IllegalArgumentException if a prefix does not start with {@code /}
   */
  public NullTransformPlugin(List<String> prefixes) {
    for (String p : prefixes) {
      if (!p.startsWith("/")) {
        throw new IllegalArgumentException("null transform prefix must start with /, was " + p);
      }
    }
    this.prefixes = List.copyOf(prefixes);
  }

  @Override
  public List<String> describe() {
    return List.of(String.format("%-22s responses pass through the null transform (chunked)",
        String.join(",", prefixes) + "*"));
  }

  @Override
  public void register(HttpHooks.Builder hooks) {
    hooks.add(HttpHookId.READ_REQUEST_HDR, new Continuation((event, data) -> {
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
