package dev.vconn.plugin.http;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * Answers one intercepted request. It is called on the intercept's event loop once the whole request was read, and
 * must not block: work that waits (in-process requests, other I/O) completes the returned stage later, from any
 * thread.
 */
@FunctionalInterface
public interface InterceptHandler {

  /**
   * Answers a request.
   *
   * @param request the request
   * @return the response, now or later; a failed stage is answered with 500
   */
  CompletionStage<InterceptResponse> handle(InterceptRequest request);

  /**
   * A handler that answers at once.
   *
   * @param handler computes the response
   * @return the handler
   */
  static InterceptHandler sync(Function<InterceptRequest, InterceptResponse> handler) {
    return request -> CompletableFuture.completedFuture(handler.apply(request));
  }
}
