package dev.vconn.inmemory;

import dev.vconn.ports.contract.HttpWire;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Judges one fuzzed connection from what its client received, independently of the proxy's own parser: the byte
 * stream is re-parsed strictly ({@link HttpWire.ResponseParser}) and compared with what the case may get.
 *
 * <p>Always: every response is well-formed (status line, fields, one consistent framing, a body that matches it),
 * interim responses are {@code 100}, final statuses are in {@link #ALLOWED}, an error status for malformed input
 * says {@code Connection: close} and nothing follows it, and, unless the client broke the connection itself, the
 * connection ended (EOS or ERROR) between two responses. Then, by {@link HttpFuzzCase.Expect}: {@code EXACT}
 * wants one 200 per request with the asked framing, length and bytes; {@code TARGETED} wants 200s up to the bad
 * request and then exactly its status; {@code DENIED} wants no byte at all.
 */
final class HttpFuzzOracle {
    /**
     * What the proxy may answer a fuzzed request with (docs/http.md and the intercept's and origin's 200; 101 only to
     * an upgrade the upgrade origin accepted, which {@link TunnelExchange} judges; an interim 101 anywhere else is
     * still caught as an interim response other than 100).
     */
    static final Set<Integer> ALLOWED = Set.of(101, 200, 400, 403, 404, 408, 414, 417, 431, 501, 502, 503, 504,
            505);

    /**
     * Error statuses that may keep the connection when the request was fully read (docs/http.md, Bad input); every
     * other error (malformed input, timeouts) must say {@code Connection: close}.
     */
    static final Set<Integer> KEEP_ALIVE_ERRORS = Set.of(403, 404, 417, 500, 502, 503, 504);

    /**
     * What a client saw.
     *
     * @param received       every byte it read, in order
     * @param eos            whether its read got EOS
     * @param readError      whether its read got ERROR
     * @param brokeItself    whether it closed or reset the connection itself (it may then have seen no end)
     * @param clientFailure  a broken rule in the client's own callbacks, or null
     */
    record Seen(byte[] received, boolean eos, boolean readError, boolean brokeItself, String clientFailure) {
        /** How many 100 Continue responses are in {@link #received} (a rough count, for coverage only). */
        int interim() {
            String s = HttpWire.text(received);
            int n = 0;
            for (int i = s.indexOf("HTTP/1.1 100 "); i >= 0; i = s.indexOf("HTTP/1.1 100 ", i + 1)) {
                n++;
            }
            return n;
        }
    }

    /**
     * The judgement of one connection.
     *
     * @param violations what the proxy did wrong; empty if it behaved
     * @param finals     the final responses the client read
     * @param truncated  whether the stream ended in the middle of a response
     */
    record Verdict(List<String> violations, List<HttpWire.Response> finals, boolean truncated) {
    }

    private HttpFuzzOracle() {
    }

    /** Judges one connection. */
    static Verdict judge(HttpFuzzCase c, Seen seen) {
        List<String> v = new ArrayList<>();
        if (seen.clientFailure() != null) {
            v.add(seen.clientFailure());
        }
        HttpWire.ResponseParser parser = new HttpWire.ResponseParser(
                c.expect == HttpFuzzCase.Expect.EXACT ? HttpFuzzCase.PATTERN : null);
        for (HttpFuzzCase.Req q : c.requests) {
            parser.expectHead(q.head());
        }
        parser.feed(seen.received(), 0, seen.received().length);
        if (seen.eos() || seen.readError()) {
            parser.endOfStream();
        }
        if (parser.violation() != null) {
            v.add("malformed response stream: " + parser.violation());
        }
        List<HttpWire.Response> all = parser.responses();
        List<HttpWire.Response> finals = parser.finalResponses();
        for (HttpWire.Response r : all) {
            if (!r.version().equals("HTTP/1.1")) {
                v.add("response in " + r.version() + ": " + r);
            }
            if (r.interim() && r.status() != 100) {
                v.add("an interim response other than 100 Continue: " + r);
            }
            if (!r.interim() && !ALLOWED.contains(r.status())) {
                v.add("status " + r.status() + " is not one the proxy may answer: " + r);
            }
            if (r.status() >= 400 && !r.closes() && !KEEP_ALIVE_ERRORS.contains(r.status())) {
                v.add("an error response for malformed input without Connection: close: " + r);
            }
        }
        boolean ended = seen.eos() || seen.readError();
        if (!seen.brokeItself() && !ended) {
            v.add("the connection never ended (no EOS or ERROR after the loop went idle)");
        }
        if (c.expect != HttpFuzzCase.Expect.FAULTED && ended && parser.truncated()) {
            v.add("the connection ended in the middle of a response (" + parser.partialBytes() + " bytes of it)");
        }
        switch (c.expect) {
            case EXACT -> exact(c, finals, 0, c.requests.size(), v);
            case TARGETED -> {
                exact(c, finals, 0, c.targetIndex, v);
                if (finals.size() != c.targetIndex + 1) {
                    v.add("expected " + (c.targetIndex + 1) + " final responses, got " + finals.size() + ": " + finals);
                } else if (finals.get(c.targetIndex).status() != c.targetStatus) {
                    v.add("request " + c.targetIndex + " must get " + c.targetStatus + ", got "
                            + finals.get(c.targetIndex));
                }
                if (!seen.eos() && !seen.readError()) {
                    v.add("the connection stayed open after the error response");
                }
            }
            case DENIED -> {
                if (seen.received().length > 0) {
                    v.add("a denied client received " + seen.received().length + " bytes");
                }
                if (!seen.eos()) {
                    v.add("a denied client's read must get EOS");
                }
            }
            default -> { }
        }
        return new Verdict(v, finals, ended && parser.truncated());
    }

    /** Requests {@code from} to {@code to} (exclusive) are valid: each must get its 200 as asked. */
    private static void exact(HttpFuzzCase c, List<HttpWire.Response> finals, int from, int to, List<String> v) {
        if (c.expect == HttpFuzzCase.Expect.EXACT && finals.size() != c.requests.size()) {
            v.add("expected " + c.requests.size() + " responses, got " + finals.size() + ": " + finals);
        }
        for (int i = from; i < Math.min(to, finals.size()); i++) {
            HttpFuzzCase.Req q = c.requests.get(i);
            HttpWire.Response r = finals.get(i);
            if (r.status() != 200) {
                v.add("valid request " + i + " (" + q.what() + ") got " + r);
                continue;
            }
            if (q.framing() != null && !q.framing().equals(r.framing())) {
                v.add("request " + i + " (" + q.what() + "): framing " + r.framing() + ", expected " + q.framing());
            }
            if (q.bodyLength() >= 0 && q.bodyLength() != r.bodyLength()) {
                v.add("request " + i + " (" + q.what() + "): " + r.bodyLength() + " body bytes, expected "
                        + q.bodyLength());
            }
            if (q.ends() != r.closes()) {
                v.add("request " + i + " (" + q.what() + "): Connection: close is " + r.closes() + ", expected "
                        + q.ends());
            }
        }
    }
}
