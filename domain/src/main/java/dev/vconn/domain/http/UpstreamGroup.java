package dev.vconn.domain.http;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A named group of origins that a remap rule can send requests to ({@code upstream://NAME/}): each attempt of a
 * transaction gets a member by the group's {@link Policy}, a retry prefers a member the transaction has not tried yet,
 * and members that fail are taken out of the rotation for a while (docs/http.md, "Upstream groups").
 *
 * <ul>
 *   <li><b>Passive health</b>: an attempt that fails before the response head arrived (connect refused or timed out,
 *       connection reset, no or a bad response head, response timeout) counts as a failure of its member; after
 *       {@code maxFails} consecutive failures the member is ejected for {@code failTimeout}, then re-admitted with its
 *       count at zero. A response head resets the count. {@code maxFails} 0 never ejects.
 *   <li><b>Active health</b> (optional {@link HealthCheck}): the proxy sends {@code GET path} to every member each
 *       interval through its own origin connector, on an event loop's timers; a member whose last check failed is
 *       {@link MemberState#DOWN} until a check passes again.
 * </ul>
 *
 * <p>When no member is available the request gets 503. State is kept per group object: a reload builds new groups,
 * whose members start up with zero counts. Thread-safe: sessions on every loop share a group.
 */
public final class UpstreamGroup {
  private static final Logger LOG = LoggerFactory.getLogger(UpstreamGroup.class);
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
  /** The most members a group may have (a transaction remembers the members it tried in one {@code long}). */
  public static final int MAX_MEMBERS = 64;

  /** How a member is chosen. */
  public enum Policy {
    /** Each available member in turn. */
    ROUND_ROBIN,
    /** The available member with the fewest requests in flight; ties go in turn. */
    LEAST_CONNECTIONS
  }

  /** Where a member stands. */
  public enum MemberState {
    /** In the rotation. */
    UP,
    /** Out of the rotation after {@code maxFails} consecutive failures, until {@code failTimeout} has passed. */
    EJECTED,
    /** Out of the rotation because its last active health check failed. */
    DOWN
  }

  /**
   * A member origin.
   *
   * @param host its host name or address literal
   * @param port its port, 1..65535
   * @param tls whether it is reached over TLS ({@code https://})
   */
  public record Origin(String host, int port, boolean tls) {
    /**
     * Checks the components.
     *
     * @throws IllegalArgumentException for an empty host or a port out of range
     */
    public Origin {
      Objects.requireNonNull(host, "host");
      if (host.isEmpty()) {
        throw new IllegalArgumentException("upstream member host must not be empty");
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("upstream member port must be in 1..65535, was " + port);
      }
    }

    /**
     * As the access log and the member list show it.
     *
     * @return {@code host:port}
     */
    public String authority() {
      return host + ":" + port;
    }
  }

  /**
   * The active health check.
   *
   * @param path the request target of the {@code GET}, starting with {@code /}
   * @param interval how often each member is checked; a check that has no status line within it fails
   * @param expectedStatus the status a healthy member answers
   */
  public record HealthCheck(String path, Duration interval, int expectedStatus) {
    /**
     * Checks the components.
     *
     * @throws IllegalArgumentException for a path without {@code /}, a non-positive interval or a bad status
     */
    public HealthCheck {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(interval, "interval");
      if (!path.startsWith("/") || path.chars().anyMatch(c -> c <= ' ' || c >= 0x7f)) {
        throw new IllegalArgumentException("upstream check path must start with / and hold no spaces or controls, was '"
            + path + "'");
      }
      if (interval.isZero() || interval.isNegative()) {
        throw new IllegalArgumentException("upstream check-interval must be positive, was " + interval);
      }
      if (expectedStatus < 100 || expectedStatus > 599) {
        throw new IllegalArgumentException("upstream check-status must be in 100..599, was " + expectedStatus);
      }
    }
  }

  /**
   * One member as {@link #members()} reports it (read-only; for metrics and the admin port).
   *
   * @param origin the member
   * @param state where it stands now
   * @param consecutiveFailures failed attempts since its last success (or re-admission)
   * @param activeConnections attempts in flight to it (what least-connections compares)
   * @param selections how many attempts were sent to it in all
   * @param failures how many attempts to it failed in all
   * @param lastCheckFailure why its last active check failed, or null if it passed (or there is no check)
   */
  public record MemberStatus(Origin origin, MemberState state, int consecutiveFailures, int activeConnections,
      long selections, long failures, String lastCheckFailure) {}

  /** A member's live state; guarded by the group's monitor. */
  static final class Member {
    final Origin origin;
    final int index;
    int consecutiveFailures;
    int active;
    long selections;
    long failures;
    boolean ejected;
    long ejectedUntil;
    String checkFailure;

    Member(Origin origin, int index) {
      this.origin = origin;
      this.index = index;
    }
  }

  private final String name;
  private final List<Member> members;
  private final Policy policy;
  private final int maxFails;
  private final Duration failTimeout;
  private final HealthCheck check;
  private final LongSupplier nanoClock;
  private int cursor;

  /**
   * Creates a group with every member up.
   *
   * @param name the name remap targets use ({@code upstream://NAME/}): letters, digits, {@code .}, {@code _} and
   *     {@code -}
   * @param origins the members, 1..{@value #MAX_MEMBERS}, no two alike
   * @param policy how a member is chosen
   * @param maxFails consecutive failures that eject a member; 0 never ejects
   * @param failTimeout how long an ejected member stays out
   * @param check the active health check, or null for none
   * @param nanoClock the clock of ejections, in nanoseconds ({@code System::nanoTime}, or a virtual loop's clock)
   * @throws IllegalArgumentException naming what is wrong
   */
  public UpstreamGroup(String name, List<Origin> origins, Policy policy, int maxFails, Duration failTimeout,
      HealthCheck check, LongSupplier nanoClock) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(failTimeout, "failTimeout");
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("upstream name must be letters, digits, '.', '_' and '-', was '" + name + "'");
    }
    if (origins.isEmpty() || origins.size() > MAX_MEMBERS) {
      throw new IllegalArgumentException("upstream " + name + " must have 1.." + MAX_MEMBERS + " members, has "
          + origins.size());
    }
    if (origins.stream().distinct().count() != origins.size()) {
      throw new IllegalArgumentException("upstream " + name + " names a member twice: " + origins);
    }
    if (maxFails < 0) {
      throw new IllegalArgumentException("upstream " + name + ": max-fails must be >= 0, was " + maxFails);
    }
    if (failTimeout.isNegative() || failTimeout.isZero()) {
      throw new IllegalArgumentException("upstream " + name + ": fail-timeout must be positive, was " + failTimeout);
    }
    this.name = name;
    List<Member> list = new ArrayList<>();
    for (Origin o : origins) {
      list.add(new Member(Objects.requireNonNull(o, "member"), list.size()));
    }
    this.members = List.copyOf(list);
    this.policy = policy;
    this.maxFails = maxFails;
    this.failTimeout = failTimeout;
    this.check = check;
  }

  /**
   * Parses a group as the server's config writes it: the name, then the member URLs, then options, separated by
   * spaces: {@code api http://10.0.0.1:8080 http://10.0.0.2:8080 policy=least-connections max-fails=3
   * fail-timeout=10s check=/healthz check-interval=5s check-status=200}. Members are {@code http://host[:port]} or
   * {@code https://host[:port]} (default port 80 or 443, no path). Defaults: round-robin, max-fails 3, fail-timeout
   * 10s, no active check; {@code check-interval} defaults to 5s and {@code check-status} to 200 once {@code check}
   * is given (and need it).
   *
   * @param spec the group
   * @param nanoClock the clock of ejections ({@code System::nanoTime} for a server)
   * @return the group
   * @throws IllegalArgumentException naming the part that is wrong
   */
  public static UpstreamGroup parse(String spec, LongSupplier nanoClock) {
    String[] parts = spec.strip().split("\\s+");
    if (parts.length < 2 || parts[0].isEmpty()) {
      throw new IllegalArgumentException("upstream must be 'NAME URL... [option=value...]', was '" + spec + "'");
    }
    String name = parts[0];
    List<Origin> origins = new ArrayList<>();
    Policy policy = Policy.ROUND_ROBIN;
    int maxFails = 3;
    Duration failTimeout = Duration.ofSeconds(10);
    String checkPath = null;
    Duration checkInterval = null;
    Integer checkStatus = null;
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i];
      int eq = p.indexOf('=');
      if (eq < 0) {
        origins.add(member(name, p));
        continue;
      }
      String key = p.substring(0, eq);
      String value = p.substring(eq + 1);
      switch (key) {
        case "policy" -> policy = switch (value.toLowerCase(Locale.ROOT)) {
          case "round-robin" -> Policy.ROUND_ROBIN;
          case "least-connections" -> Policy.LEAST_CONNECTIONS;
          default -> throw new IllegalArgumentException("upstream " + name
              + ": policy must be round-robin or least-connections, was '" + value + "'");
        };
        case "max-fails" -> maxFails = number(name, key, value);
        case "fail-timeout" -> failTimeout = duration(name, key, value);
        case "check" -> checkPath = value;
        case "check-interval" -> checkInterval = duration(name, key, value);
        case "check-status" -> checkStatus = number(name, key, value);
        default -> throw new IllegalArgumentException("upstream " + name + ": unknown option '" + key
            + "' (options: policy, max-fails, fail-timeout, check, check-interval, check-status)");
      }
    }
    if (checkPath == null && (checkInterval != null || checkStatus != null)) {
      throw new IllegalArgumentException("upstream " + name + ": check-interval and check-status need check=/PATH");
    }
    HealthCheck check = checkPath == null ? null : new HealthCheck(checkPath,
        checkInterval == null ? Duration.ofSeconds(5) : checkInterval, checkStatus == null ? 200 : checkStatus);
    return new UpstreamGroup(name, origins, policy, maxFails, failTimeout, check, nanoClock);
  }

  private static Origin member(String group, String url) {
    boolean tls;
    String rest;
    if (url.regionMatches(true, 0, "https://", 0, 8)) {
      tls = true;
      rest = url.substring(8);
    } else if (url.regionMatches(true, 0, "http://", 0, 7)) {
      tls = false;
      rest = url.substring(7);
    } else {
      throw new IllegalArgumentException("upstream " + group + ": member must be http://HOST[:PORT] or "
          + "https://HOST[:PORT], was '" + url + "'");
    }
    if (rest.endsWith("/")) {
      rest = rest.substring(0, rest.length() - 1);
    }
    if (rest.contains("/")) {
      throw new IllegalArgumentException("upstream " + group + ": member " + url
          + " has a path (the remap rule's target gives the path)");
    }
    int colon = rest.lastIndexOf(':');
    boolean hasPort = colon >= 0 && (rest.startsWith("[") ? rest.lastIndexOf(']') < colon : true);
    String host = hasPort ? rest.substring(0, colon) : rest;
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = hasPort ? Integer.parseInt(rest.substring(colon + 1)) : tls ? 443 : 80;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("upstream " + group + ": member " + url + " has a bad port");
    }
    try {
      return new Origin(host, port, tls);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("upstream " + group + ": member " + url + ": " + e.getMessage());
    }
  }

  private static int number(String group, String key, String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("upstream " + group + ": " + key + " must be a number, was '" + value + "'");
    }
  }

  /** {@code 250ms}, {@code 10s}, {@code 2m}, {@code 1h}. */
  private static Duration duration(String group, String key, String value) {
    String v = value.toLowerCase(Locale.ROOT);
    try {
      if (v.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      } else if (v.endsWith("s")) {
        return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
      } else if (v.endsWith("m")) {
        return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
      } else if (v.endsWith("h")) {
        return Duration.ofHours(Long.parseLong(v.substring(0, v.length() - 1)));
      }
    } catch (NumberFormatException e) {
      // falls through to the error below
    }
    throw new IllegalArgumentException("upstream " + group + ": " + key + " must be a duration (250ms, 10s, 2m, 1h), "
        + "was '" + value + "'");
  }

  /** @return the name remap targets use */
  public String name() {
    return name;
  }

  /** @return how members are chosen */
  public Policy policy() {
    return policy;
  }

  /** @return consecutive failures that eject a member (0: never) */
  public int maxFails() {
    return maxFails;
  }

  /** @return how long an ejected member stays out */
  public Duration failTimeout() {
    return failTimeout;
  }

  /** @return the active health check, if any */
  public Optional<HealthCheck> check() {
    return Optional.ofNullable(check);
  }

  /** @return the members, in the order they were given */
  public List<Origin> origins() {
    return members.stream().map(m -> m.origin).toList();
  }

  /**
   * Every member's state now, in the order they were given: a snapshot for metrics and the admin port.
   *
   * @return one status per member
   */
  public synchronized List<MemberStatus> members() {
    long now = nanoClock.getAsLong();
    List<MemberStatus> out = new ArrayList<>(members.size());
    for (Member m : members) {
      readmitIfDue(m, now);
      out.add(new MemberStatus(m.origin, state(m), m.consecutiveFailures, m.active, m.selections, m.failures,
          m.checkFailure));
    }
    return out;
  }

  private static MemberState state(Member m) {
    return m.ejected ? MemberState.EJECTED : m.checkFailure != null ? MemberState.DOWN : MemberState.UP;
  }

  /**
   * Chooses the member for an attempt and counts it as in flight: an available member not in {@code tried} (a bit
   * per member index), else any available one.
   *
   * @return the member, or null if none is available
   */
  synchronized Member select(long tried) {
    long now = nanoClock.getAsLong();
    for (Member m : members) {
      readmitIfDue(m, now);
    }
    Member chosen = choose(tried);
    if (chosen == null && tried != 0) {
      chosen = choose(0);
    }
    if (chosen != null) {
      chosen.active++;
      chosen.selections++;
    }
    return chosen;
  }

  private Member choose(long tried) {
    int n = members.size();
    Member best = null;
    int bestAt = 0;
    for (int i = 0; i < n; i++) {
      int at = (cursor + i) % n;
      Member m = members.get(at);
      if (m.ejected || m.checkFailure != null || (tried & (1L << m.index)) != 0) {
        continue;
      }
      if (policy == Policy.ROUND_ROBIN) {
        best = m;
        bestAt = at;
        break;
      }
      if (best == null || m.active < best.active) {
        best = m;
        bestAt = at;
      }
    }
    if (best != null) {
      cursor = (bestAt + 1) % n;
    }
    return best;
  }

  private void readmitIfDue(Member m, long now) {
    if (m.ejected && now - m.ejectedUntil >= 0) {
      m.ejected = false;
      m.consecutiveFailures = 0;
      LOG.info("upstream {}: member {} re-admitted after {} ms", name, m.origin.authority(), failTimeout.toMillis());
    }
  }

  /** An attempt to {@code m} failed before its response head. */
  synchronized void failed(Member m, String reason) {
    m.failures++;
    m.consecutiveFailures++;
    if (maxFails > 0 && !m.ejected && m.consecutiveFailures >= maxFails) {
      m.ejected = true;
      m.ejectedUntil = nanoClock.getAsLong() + failTimeout.toNanos();
      LOG.warn("upstream {}: member {} ejected for {} ms after {} consecutive failures (last: {})", name,
          m.origin.authority(), failTimeout.toMillis(), m.consecutiveFailures, reason);
    }
  }

  /** An attempt to {@code m} got a response head. */
  synchronized void succeeded(Member m) {
    m.consecutiveFailures = 0;
  }

  /** An attempt to {@code m} is over (its connection went back to the pool or closed). */
  synchronized void release(Member m) {
    m.active--;
  }

  /** The result of an active check of {@code m}: null if it passed, else why it failed. */
  synchronized void checked(Member m, String failure) {
    boolean wasDown = m.checkFailure != null;
    m.checkFailure = failure;
    if (failure != null && !wasDown) {
      LOG.warn("upstream {}: member {} is down: health check failed: {}", name, m.origin.authority(), failure);
    } else if (failure == null && wasDown) {
      LOG.info("upstream {}: member {} is up again: health check passed", name, m.origin.authority());
    }
  }

  List<Member> memberList() {
    return members;
  }

  @Override
  public String toString() {
    return "upstream " + name + " " + origins() + " " + policy.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
