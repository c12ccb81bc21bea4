package dev.vconn.app.plugins;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.Event;
import dev.vconn.domain.http.HttpTxn;
import dev.vconn.plugin.Interceptor;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one READ_REQUEST_HDR hook that asks the plugins' {@link Interceptor}s in order whether they serve a request.
 * One hook rather than one per plugin, because a hook cannot see whether an earlier one already intercepted the
 * transaction: the first interceptor to claim it wins, deterministically.
 */
public final class InterceptRouter {
  private static final Logger LOG = LoggerFactory.getLogger(InterceptRouter.class);

  private InterceptRouter() {}

  /**
   * The hook continuation.
   *
   * @param interceptors asked in this order
   * @return a continuation for {@code HttpHookId.READ_REQUEST_HDR}
   */
  public static Continuation hook(List<Interceptor> interceptors) {
    List<Interceptor> ordered = List.copyOf(interceptors);
    return new Continuation((event, data) -> {
      if (event != Event.HTTP_READ_REQUEST_HDR || !(data instanceof HttpTxn txn)) {
        return;
      }
      Event resume = Event.HTTP_CONTINUE;
      try {
        for (Interceptor p : ordered) {
          Continuation server = p.intercept(txn);
          if (server != null) {
            txn.intercept(server);
            break;
          }
        }
      } catch (RuntimeException e) {
        // A plugin bug answers this request with 500 instead of stalling it.
        LOG.error("plugin failed at READ_REQUEST_HDR for {}", txn, e);
        txn.setErrorStatus(500);
        resume = Event.HTTP_ERROR;
      }
      txn.reenable(resume);
    });
  }
}
