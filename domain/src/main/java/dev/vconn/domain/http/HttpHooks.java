package dev.vconn.domain.http;

import dev.vconn.domain.Continuation;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Global hooks ({@code TSHttpHookAdd}): for each {@link HttpHookId}, the continuations every transaction (or, for the
 * session hooks, every client session) calls, in the order they were added. Immutable; build one with
 * {@link #builder()}.
 */
public final class HttpHooks {
  private static final HttpHooks NONE = new HttpHooks(new EnumMap<>(HttpHookId.class));

  private final Map<HttpHookId, List<Continuation>> hooks;

  private HttpHooks(Map<HttpHookId, List<Continuation>> hooks) {
    this.hooks = hooks;
  }

  /**
   * No hooks at all.
   *
   * @return the empty set of hooks
   */
  public static HttpHooks none() {
    return NONE;
  }

  /**
   * Starts an empty set of hooks.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The continuations added to a hook, in order.
   *
   * @param id the hook
   * @return an unmodifiable list, empty if none
   */
  public List<Continuation> get(HttpHookId id) {
    return hooks.getOrDefault(Objects.requireNonNull(id, "id"), List.of());
  }

  /** Collects hooks. */
  public static final class Builder {
    private final Map<HttpHookId, List<Continuation>> hooks = new EnumMap<>(HttpHookId.class);

    private Builder() {}

    /**
     * Adds a continuation to a hook, after those already there.
     *
     * @param id the hook
     * @param continuation receives {@link HttpHookId#event()} with the transaction (the {@link HttpSsn} for a session
     *     hook) and must reenable it
     * @return this builder
     */
    public Builder add(HttpHookId id, Continuation continuation) {
      hooks.computeIfAbsent(Objects.requireNonNull(id, "id"), k -> new ArrayList<>())
          .add(Objects.requireNonNull(continuation, "continuation"));
      return this;
    }

    /**
     * The hooks added so far.
     *
     * @return an immutable set of hooks
     */
    public HttpHooks build() {
      Map<HttpHookId, List<Continuation>> copy = new EnumMap<>(HttpHookId.class);
      hooks.forEach((k, v) -> copy.put(k, List.copyOf(v)));
      return new HttpHooks(copy);
    }
  }
}
