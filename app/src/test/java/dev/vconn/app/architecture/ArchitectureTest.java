package dev.vconn.app.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.CompositeArchRule;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The module rules of the README's Modules section, checked against the production classes of every module
 * (test sources, including the planted violations of {@link PlantedViolationTest}, are not
 * imported). The rules themselves live in {@link ArchitectureRules}.
 */
@AnalyzeClasses(packages = "dev.vconn", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    private static final ModuleRoots ROOTS = ModuleRoots.real();

    @ArchTest
    static final ArchRule domain_uses_no_sockets_or_channels =
            ArchitectureRules.domainUsesNoSocketsOrChannels(ROOTS)
                    .because("the domain is pure (README.md, Modules): transports do the I/O, so the same "
                            + "VConn/VIO/HTTP code runs on nio, Netty and the virtual-time in-memory "
                            + "adapter, and the domain knows nothing of the modules built on it");

    @ArchTest
    static final ArchRule ports_depend_only_on_domain =
            ArchitectureRules.portsDependOnlyOnDomain(ROOTS)
                    .because("ports are the contract between the domain and the transports "
                            + "(README.md, Modules): they may see the domain and the JDK, never an adapter, "
                            + "the app, the benchmarks or Netty");

    @ArchTest
    static final ArchRule plugin_api_depends_only_on_the_libraries =
            ArchitectureRules.pluginApiDependsOnlyOnTheLibraries(ROOTS)
                    .because("a plugin compiles against the plugin API (README.md, Write and load a plugin), "
                            + "so it may see the domain and the ports, never a transport or the server");

    @ArchTest
    static final ArchRule adapters_do_not_depend_on_each_other =
            ArchitectureRules.adaptersDoNotDependOnEachOther(ROOTS)
                    .because("adapters are interchangeable transports and never import each other "
                            + "(README.md, Modules); what they share belongs in ports or domain");

    @ArchTest
    static final ArchRule nothing_depends_on_app_or_bench =
            ArchitectureRules.nothingDependsOnAppOrBench(ROOTS)
                    .because("arrows only point inward (README.md, Modules): app and bench are the "
                            + "outermost ring and nothing imports them");

    @ArchTest
    static final ArchRule netty_only_in_netty_adapter =
            ArchitectureRules.nettyOnlyInNettyAdapter(ROOTS)
                    .because("Netty appears only in adapters-netty (README.md, Modules), so every other "
                            + "module runs without it on the classpath; the one exception is the raw "
                            + "Netty baseline in bench.baseline that the adapter is measured against");

    @ArchTest
    static final ArchRule no_module_cycles =
            ArchitectureRules.noModuleCycles(ROOTS)
                    .because("modules form layers (domain <- ports <- adapters <- app/bench), "
                            + "and a cycle between them would make that layering meaningless");

    @ArchTest
    static final ArchRule no_package_cycles =
            ArchitectureRules.noPackageCycles(ROOTS)
                    .because("packages inside a module layer too (e.g. domain.http on domain, "
                            + "API on nothing in internal that points back), so each can be "
                            + "understood and changed on its own");

    @ArchTest
    static final ArchRule internal_packages_are_not_used_across_modules =
            ArchitectureRules.internalPackagesAreNotUsedAcrossModules(ROOTS)
                    .because("public API lives in exported packages and everything else in "
                            + "internal (README.md, Modules); internals may change without notice, so only "
                            + "their own module may use them");

    /** The HTTP/1 client session, with its nested classes. */
    private static final String HTTP1_SESSION = "dev\\.vconn\\.domain\\.http\\.Http1ClientSession(\\$.*)?";

    /** The tunnel: the bodies' producers and consumers and the blind two-way splice, with their nested classes. */
    private static final String HTTP_TUNNEL = "dev\\.vconn\\.domain\\.http\\.(HttpTunnel|BlindTunnel)(\\$.*)?";

    @ArchTest
    static final ArchRule http1_session_and_tunnel_do_not_depend_on_each_other =
            CompositeArchRule.of(noClasses().that().haveNameMatching(HTTP1_SESSION)
                            .should().dependOnClassesThat().haveNameMatching(HTTP_TUNNEL))
                    .and(noClasses().that().haveNameMatching(HTTP_TUNNEL)
                            .should().dependOnClassesThat().haveNameMatching(HTTP1_SESSION))
                    .because("the HTTP/1 session and the tunnel meet only through the transaction machine and "
                            + "its ClientSide seam (docs/http.md, Code layout), so a second client protocol can "
                            + "drive the same machine and tunnel without touching the HTTP/1 session");

    @ArchTest
    static final ArchRule spi_types_are_extended_only_by_transports =
            ArchitectureRules.spiTypesAreExtendedOnlyByTransports(ROOTS)
                    .because("spi packages are for transport implementors (docs/modules.md): only their own "
                            + "module, another module's spi package and the adapters build on them, so the "
                            + "app and the API packages stay on the API and the spi can change with the "
                            + "transports' needs");

    /**
     * Guards the rules above against passing for the wrong reason: every module's production
     * classes must be on the classpath and imported (each module has at least its
     * {@code package-info}; bench comes in as a test-scoped dependency of app).
     */
    @ArchTest
    static void analyzed_classes_cover_every_module(JavaClasses classes) {
        List<String> missing = ROOTS.all().stream()
                .filter(root -> classes.stream().noneMatch(c ->
                        c.getPackageName().equals(root) || c.getPackageName().startsWith(root + ".")))
                .collect(Collectors.toList());
        assertEquals(List.of(), missing, "modules whose classes were not imported");
    }

    /**
     * Guards the rules above against passing for the wrong reason: the planted violations (and
     * the rest of the test sources) must not be part of what is analyzed.
     */
    @ArchTest
    static void analyzed_classes_exclude_test_sources(JavaClasses classes) {
        List<String> testClasses = classes.stream()
                .map(JavaClass::getName)
                .filter(name -> name.startsWith("dev.vconn.app.architecture"))
                .collect(Collectors.toList());
        assertEquals(List.of(), testClasses, "test classes must not be analyzed");
    }
}
