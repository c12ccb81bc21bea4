package dev.vconn.domain.http;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.ScheduledAction;
import java.time.Duration;

/**
 * At most one armed timer of a session or a transaction machine: arming cancels the one before. The timer's TIMEOUT
 * carries a token; one that is not the armed token is stale (cancelled after it was already queued) and is ignored.
 *
 * @param <K> what the timer is for
 */
final class TimerSlot<K> {

  /** The data of a timer's TIMEOUT. */
  private record Token<K>(K kind) {}

  private final EventLoop loop;
  private final Continuation target;
  private ScheduledAction action;
  private Token<K> armed;

  /** {@code target} gets the TIMEOUT events; pass their data to {@link #fired(Object)}. */
  TimerSlot(EventLoop loop, Continuation target) {
    this.loop = loop;
    this.target = target;
  }

  void arm(K kind, Duration delay) {
    cancel();
    Token<K> token = new Token<>(kind);
    armed = token;
    action = ContinuationScheduler.schedule(loop, target, Event.TIMEOUT, token, delay);
  }

  void cancel() {
    if (action != null) {
      action.cancel();
      action = null;
    }
    armed = null;
  }

  /** What the armed timer is for, or null if none is armed. */
  K armed() {
    return armed == null ? null : armed.kind();
  }

  /** Whether {@code data} is a timer token of any slot (stale or not). */
  static boolean isToken(Object data) {
    return data instanceof Token<?>;
  }

  /**
   * The kind of the armed timer if {@code data} is its token (the slot is empty afterwards), else null: a stale
   * token or something else.
   */
  K fired(Object data) {
    if (armed == null || data != armed) {
      return null;
    }
    K kind = armed.kind();
    armed = null;
    action = null;
    return kind;
  }
}
