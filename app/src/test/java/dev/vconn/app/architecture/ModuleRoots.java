package dev.vconn.app.architecture;

import java.util.List;

/**
 * The package roots of vconn's modules, derived from one base package, plus the package of the
 * Netty library. {@link #real()} is the production layout ({@code dev.vconn.domain}, …,
 * {@code io.netty}); {@link PlantedViolationTest} builds the same layout under a test-only base
 * package so the very same rule definitions can be run against deliberately broken classes.
 *
 * @param base           package that holds one sub-package per module, e.g. {@code dev.vconn}
 * @param nettyLibrary   package root of the Netty library, e.g. {@code io.netty}
 */
record ModuleRoots(String base, String nettyLibrary) {

    /** The production layout of the README's Modules section. */
    static ModuleRoots real() {
        return new ModuleRoots("dev.vconn", "io.netty");
    }

    String domain() {
        return base + ".domain";
    }

    String ports() {
        return base + ".ports";
    }

    String nio() {
        return base + ".nio";
    }

    String netty() {
        return base + ".netty";
    }

    String inmemory() {
        return base + ".inmemory";
    }

    String plugin() {
        return base + ".plugin";
    }

    String app() {
        return base + ".app";
    }

    String bench() {
        return base + ".bench";
    }

    /** The three transport adapters, which must stay independent of one another. */
    List<String> adapters() {
        return List.of(nio(), netty(), inmemory());
    }

    /** Every module root, inner ring first. */
    List<String> all() {
        return List.of(domain(), ports(), nio(), netty(), inmemory(), plugin(), app(), bench());
    }

    /** {@code root..}: the root package and everything below it. */
    static String tree(String root) {
        return root + "..";
    }
}
