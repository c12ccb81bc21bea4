package dev.vconn.ports;

import dev.vconn.domain.http.AccessControl;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Access control by client address (Traffic Server's {@code ip_allow.yaml}): an ordered list of CIDR ranges, each
 * allowing or denying; the first range that contains the client decides, and a client no range contains is
 * denied. Unix-domain clients are allowed only by the rule {@code unix}. Immutable; build with {@link #builder()}.
 */
public final class IpAllowList implements AccessControl {

    /** One rule: a range and what it decides. */
    private record Rule(byte[] network, int prefix, boolean allow, String text) {
        boolean contains(byte[] address) {
            if (network == null || address.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = 0xff << (8 - rest) & 0xff;
            return (address[full] & mask) == (network[full] & mask);
        }
    }

    private final List<Rule> rules;

    private IpAllowList(List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    /**
     * Starts an empty list (which denies everybody).
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Parses {@code allow 127.0.0.0/8, deny 0.0.0.0/0}-style text: comma-separated rules, each {@code allow} or
     * {@code deny} followed by a CIDR range, a single address, or {@code unix}.
     *
     * @param text the rules
     * @return the list
     * @throws IllegalArgumentException naming the rule that does not parse
     */
    public static IpAllowList parse(String text) {
        Builder b = builder();
        for (String part : text.split(",")) {
            String[] words = part.trim().split("\\s+");
            if (words.length != 2) {
                throw new IllegalArgumentException("access rule must be 'allow RANGE' or 'deny RANGE', was '"
                        + part.trim() + "'");
            }
            switch (words[0]) {
                case "allow" -> b.allow(words[1]);
                case "deny" -> b.deny(words[1]);
                default -> throw new IllegalArgumentException("access rule must start with allow or deny, was '"
                        + part.trim() + "'");
            }
        }
        return b.build();
    }

    @Override
    public Optional<String> denial(SocketAddress client) {
        byte[] address = null;
        boolean unix = client instanceof UnixDomainSocketAddress;
        if (client instanceof InetSocketAddress inet && inet.getAddress() != null) {
            address = inet.getAddress().getAddress();
        }
        for (Rule r : rules) {
            boolean match = unix ? r.network == null : r.contains(address == null ? new byte[0] : address);
            if (match) {
                return r.allow ? Optional.empty() : Optional.of("denied by rule '" + r.text + "'");
            }
        }
        return Optional.of("no access rule allows " + client);
    }

    @Override
    public String toString() {
        return "IpAllowList" + rules.stream().map(Rule::text).toList();
    }

    /** Collects rules in order. */
    public static final class Builder {
        private final List<Rule> rules = new ArrayList<>();

        private Builder() {
        }

        /**
         * Allows a range.
         *
         * @param range a CIDR range ({@code 10.0.0.0/8}, {@code ::1/128}), one address, or {@code unix}
         * @return this builder
         */
        public Builder allow(String range) {
            rules.add(rule(range, true));
            return this;
        }

        /**
         * Denies a range.
         *
         * @param range a CIDR range, one address, or {@code unix}
         * @return this builder
         */
        public Builder deny(String range) {
            rules.add(rule(range, false));
            return this;
        }

        /**
         * The rules so far.
         *
         * @return the list
         */
        public IpAllowList build() {
            return new IpAllowList(rules);
        }

        private static Rule rule(String range, boolean allow) {
            Objects.requireNonNull(range, "range");
            String text = (allow ? "allow " : "deny ") + range;
            if (range.equals("unix")) {
                return new Rule(null, 0, allow, text);
            }
            int slash = range.indexOf('/');
            String host = slash < 0 ? range : range.substring(0, slash);
            if (host.isEmpty() || !(Character.isDigit(host.charAt(0)) || host.contains(":"))) {
                throw new IllegalArgumentException("access rule range must be an address literal or CIDR, was '"
                        + range + "'");
            }
            byte[] network;
            try {
                network = InetAddress.getByName(host).getAddress(); // a literal: no lookup
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("access rule range is not an address: '" + range + "'", e);
            }
            int prefix = network.length * 8;
            if (slash >= 0) {
                try {
                    prefix = Integer.parseInt(range.substring(slash + 1));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("access rule prefix is not a number: '" + range + "'", e);
                }
                if (prefix < 0 || prefix > network.length * 8) {
                    throw new IllegalArgumentException("access rule prefix must be in 0.." + network.length * 8
                            + ", was '" + range + "'");
                }
            }
            return new Rule(network, prefix, allow, text);
        }
    }
}
