package dev.vconn.domain.http;

import dev.vconn.domain.Continuation;
import dev.vconn.domain.ContinuationScheduler;
import dev.vconn.domain.Event;
import dev.vconn.domain.EventLoop;
import dev.vconn.domain.ScheduledAction;
import java.time.Duration;

/**
 * At most one armed timer of a session: arming replaces what was armed. It keeps one scheduled loop timer and moves
 * its deadline instead of scheduling a timer per arm: arming for a later deadline than the scheduled timer's keeps
 * that timer (when it fires early it is scheduled again for the rest), and {@link #cancel()} only disarms (the
 * timer fires to nothing). A session arms and cancels several times per request, so per request it schedules no
 * timer and leaves no cancelled one in the loop's queue. {@link #release()} cancels the loop timer for good (on
 * close, so the timer does not hold the session).
 *
 * <p>The timer's TIMEOUT carries the slot's token; pass its data to {@link #fired(Object)}, which says what was
 * armed if its deadline has passed.
 *
 * @param <K> what the timer is for
 */
final class TimerSlot<K> {

  /** The data of a slot's TIMEOUT events (one per slot). */
  private record Token(TimerSlot<?> slot) {}

  private final EventLoop loop;
  private final Continuation target;
  private final Token token = new Token(this);
  /** The scheduled loop timer, or null; it may be due before {@link #deadline}, never after. */
  private ScheduledAction action;
  /** When {@link #action} is due, on the loop's clock. */
  private long actionAt;
  private K armed;
  private long deadline;

  /** {@code target} gets the TIMEOUT events; pass their data to {@link #fired(Object)}. */
  TimerSlot(EventLoop loop, Continuation target) {
    this.loop = loop;
    this.target = target;
  }

  /** Arms the slot for {@code kind}, due {@code delay} from now; what was armed before is forgotten. */
  void arm(K kind, Duration delay) {
    long now = loop.nanoTime();
    armed = kind;
    deadline = now + delay.toNanos();
    if (action != null && actionAt <= deadline) {
      return; // it fires first and is scheduled again for the rest
    }
    if (action != null) {
      action.cancel();
    }
    schedule(now);
  }

  private void schedule(long now) {
    actionAt = deadline;
    action = ContinuationScheduler.schedule(loop, target, Event.TIMEOUT, token, Duration.ofNanos(deadline - now));
  }

  /** Disarms the slot; the loop timer stays scheduled (arming again soon reuses it) and fires to nothing. */
  void cancel() {
    armed = null;
  }

  /** Disarms the slot and cancels its loop timer. */
  void release() {
    armed = null;
    if (action != null) {
      action.cancel();
      action = null;
    }
  }

  /** What the armed timer is for, or null if none is armed. */
  K armed() {
    return armed;
  }

  /** Whether {@code data} is a timer token of any slot. */
  static boolean isToken(Object data) {
    return data instanceof Token;
  }

  /**
   * The kind that was armed if {@code data} is this slot's token and the armed deadline has passed (the slot is empty
   * afterwards), else null: nothing armed (cancelled), a deadline moved later (the timer is scheduled again), or
   * something else.
   */
  K fired(Object data) {
    if (data != token) {
      return null;
    }
    action = null;
    if (armed == null) {
      return null;
    }
    long now = loop.nanoTime();
    if (now < deadline) {
      schedule(now);
      return null;
    }
    K kind = armed;
    armed = null;
    return kind;
  }
}
