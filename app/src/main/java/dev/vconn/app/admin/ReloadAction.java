package dev.vconn.app.admin;

import java.util.Objects;

/**
 * What {@code POST /reload} on the admin listener runs: re-reads the configuration and applies it, or says why not.
 * It runs on the admin listener's own thread, never on an event loop, one reload at a time.
 */
@FunctionalInterface
public interface ReloadAction {

  /**
   * Reloads.
   *
   * @return whether the new configuration was applied, and a line saying what happened
   */
  Result reload();

  /**
   * What a reload did.
   *
   * @param outcome applied, rejected (the old configuration stays) or unsupported
   * @param message one line for the operator
   */
  record Result(Outcome outcome, String message) {
    /**
     * Checks the components.
     *
     * @param outcome the outcome
     * @param message the message
     */
    public Result {
      Objects.requireNonNull(outcome, "outcome");
      Objects.requireNonNull(message, "message");
    }

    /**
     * The new configuration applies to new transactions.
     *
     * @param message what changed
     * @return the result
     */
    public static Result applied(String message) {
      return new Result(Outcome.APPLIED, message);
    }

    /**
     * The new configuration was refused; the old one stays.
     *
     * @param why why (the file and line at fault, say)
     * @return the result
     */
    public static Result rejected(String why) {
      return new Result(Outcome.REJECTED, why);
    }
  }

  /** How a reload ended; the admin listener answers 200, 500 and 501. */
  enum Outcome {
    /** Applied. */
    APPLIED,
    /** Refused, the old configuration stays. */
    REJECTED,
    /** This server cannot reload. */
    UNSUPPORTED
  }

  /**
   * A reload action for a server that cannot reload: every {@code POST /reload} is answered 501 with {@code why}.
   *
   * @param why why not, for the operator
   * @return the action
   */
  static ReloadAction unsupported(String why) {
    return () -> new Result(Outcome.UNSUPPORTED, why);
  }
}
