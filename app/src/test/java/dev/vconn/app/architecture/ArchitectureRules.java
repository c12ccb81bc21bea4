package dev.vconn.app.architecture;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static dev.vconn.app.architecture.ModuleRoots.tree;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.CompositeArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The layering rules of the README's Modules section, written once as factories over {@link ModuleRoots} so that
 * {@link ArchitectureTest} can apply them to the real modules and {@link PlantedViolationTest}
 * can prove, on planted test-only classes, that each of them actually bites.
 *
 * <p>Every rule allows an empty "should": several modules are still empty, and a rule that
 * selects no classes today must pass now and start checking as soon as code arrives.
 */
final class ArchitectureRules {

    /**
     * {@code java.net} socket classes: {@code Socket*}, {@code ServerSocket*},
     * {@code DatagramSocket*}, {@code MulticastSocket}. {@code java.net.SocketAddress} is exempt:
     * it is the abstract value type of {@code InetSocketAddress}/{@code UnixDomainSocketAddress},
     * does no I/O, and the HTTP state machine needs a client address (docs/semantics.md, rule 6.1; docs/http.md).
     */
    private static final Pattern SOCKET_CLASS =
            Pattern.compile("java\\.net\\.(Server|Datagram|Multicast)?Socket.*");

    private static final String SOCKET_ADDRESS = "java.net.SocketAddress";

    private ArchitectureRules() {
    }

    /** Classes of the {@code java.net} socket API (see {@link #SOCKET_CLASS}); arrays count too. */
    static DescribedPredicate<JavaClass> socketClasses() {
        return DescribedPredicate.describe(
                "are java.net socket classes (java.net.*Socket*, except java.net.SocketAddress)",
                javaClass -> {
                    String name = javaClass.getBaseComponentType().getName();
                    return SOCKET_CLASS.matcher(name).matches() && !SOCKET_ADDRESS.equals(name);
                });
    }

    /**
     * The domain is pure: no socket or channel I/O, no Netty, and it knows nothing of the modules
     * built on it. That is what lets every transport (and the virtual-time in-memory one) drive
     * the same VConn/VIO/HTTP code.
     */
    static ArchRule domainUsesNoSocketsOrChannels(ModuleRoots roots) {
        DescribedPredicate<JavaClass> forbidden = socketClasses()
                .or(resideInAnyPackage(
                        "java.nio.channels..",
                        tree(roots.nettyLibrary()),
                        tree(roots.ports()),
                        tree(roots.nio()),
                        tree(roots.netty()),
                        tree(roots.inmemory()),
                        tree(roots.plugin()),
                        tree(roots.app()),
                        tree(roots.bench())));
        return noClasses()
                .that().resideInAPackage(tree(roots.domain()))
                .should().dependOnClassesThat(forbidden)
                .allowEmptyShould(true);
    }

    /**
     * Ports are the contract between the domain and the transports, so they may see only the
     * domain, the JDK (including {@code java.nio.channels}: {@code SocketAdopter} adopts a
     * {@code SocketChannel}) and the libraries the domain exposes (Guava, slf4j) — never an
     * adapter, the app, the benchmarks or Netty.
     */
    static ArchRule portsDependOnlyOnDomain(ModuleRoots roots) {
        return classes()
                .that().resideInAPackage(tree(roots.ports()))
                .should().onlyDependOnClassesThat(resideInAnyPackage(
                        tree(roots.ports()),
                        tree(roots.domain()),
                        "java..",
                        "com.google.common..",
                        "org.slf4j.."))
                .allowEmptyShould(true);
    }

    /**
     * The plugin API is what a third-party plugin compiles against: it may see the domain, the ports, the JDK and
     * slf4j, never a transport, the server or the benchmarks, so a plugin never depends on more than the libraries.
     */
    static ArchRule pluginApiDependsOnlyOnTheLibraries(ModuleRoots roots) {
        return classes()
                .that().resideInAPackage(tree(roots.plugin()))
                .should().onlyDependOnClassesThat(resideInAnyPackage(
                        tree(roots.plugin()),
                        tree(roots.domain()),
                        tree(roots.ports()),
                        "java..",
                        "org.slf4j.."))
                .allowEmptyShould(true);
    }

    /**
     * Transports are interchangeable only if none of them leans on another: nio, netty and
     * inmemory never import one another; what they share belongs in ports or domain.
     */
    static ArchRule adaptersDoNotDependOnEachOther(ModuleRoots roots) {
        return slices()
                .assignedFrom(moduleSlices(roots.adapters()))
                .namingSlices("adapter $1")
                .should().notDependOnEachOther()
                .allowEmptyShould(true);
    }

    /**
     * {@code app} and {@code bench} are the outermost ring (composition roots): arrows only point
     * inward, so no other module may import them.
     */
    static ArchRule nothingDependsOnAppOrBench(ModuleRoots roots) {
        return CompositeArchRule
                .of(nothingOutsideDependsOn(roots.app()))
                .and(nothingOutsideDependsOn(roots.bench()))
                .allowEmptyShould(true);
    }

    private static ArchRule nothingOutsideDependsOn(String root) {
        return noClasses()
                .that().resideOutsideOfPackage(tree(root))
                .should().dependOnClassesThat().resideInAPackage(tree(root))
                .allowEmptyShould(true);
    }

    /**
     * Netty is one transport among several; only the Netty adapter may see it, plus the raw-Netty
     * baseline the benchmarks measure the adapter against (BENCHMARKS.md), kept in its own package.
     */
    static ArchRule nettyOnlyInNettyAdapter(ModuleRoots roots) {
        return noClasses()
                .that().resideOutsideOfPackages(tree(roots.netty()), tree(roots.bench() + ".baseline"))
                .should().dependOnClassesThat().resideInAPackage(tree(roots.nettyLibrary()))
                .allowEmptyShould(true);
    }

    /**
     * Module level: no cycle between the top-level packages under the base ({@code domain},
     * {@code ports}, {@code nio}, …). Maven would reject most of these, but not ones between
     * packages that happen to be built in the same module.
     */
    static ArchRule noModuleCycles(ModuleRoots roots) {
        return slices()
                .matching(roots.base() + ".(*)..")
                .namingSlices("module $1")
                .should().beFreeOfCycles()
                .allowEmptyShould(true);
    }

    /**
     * Package level: every package is its own slice ({@code (**)} captures the whole package
     * path), so e.g. {@code domain} ↔ {@code domain.http} or {@code domain} ↔
     * {@code domain.internal} is a cycle even though it stays inside one module.
     */
    static ArchRule noPackageCycles(ModuleRoots roots) {
        return slices()
                .matching(roots.base() + ".(**)")
                .namingSlices("package $1")
                .should().beFreeOfCycles()
                .allowEmptyShould(true);
    }

    /**
     * Public API lives in exported packages, everything else in {@code internal}; an
     * {@code ..internal..} package below a module root may be used only from that module root,
     * so implementation details can change without breaking other modules.
     */
    static ArchRule internalPackagesAreNotUsedAcrossModules(ModuleRoots roots) {
        List<ArchRule> perModule = roots.all().stream()
                .map(root -> noClasses()
                        .that().resideOutsideOfPackage(tree(root))
                        .should().dependOnClassesThat().resideInAPackage(root + "..internal..")
                        .allowEmptyShould(true))
                .collect(Collectors.toList());
        return CompositeArchRule.of(perModule).allowEmptyShould(true);
    }

    /**
     * A module's {@code spi} package holds what only transport implementors need (the shared VIO core, loop timers,
     * the shared transport mechanisms). Its types may be extended or implemented only inside their own module, by
     * another module's {@code spi} package (ports.spi builds on domain.spi) and by the adapters; anyone else
     * (the app, the benchmarks, a module's API packages) uses the API, never the implementor's base classes.
     */
    static ArchRule spiTypesAreExtendedOnlyByTransports(ModuleRoots roots) {
        List<String> allowedEverywhere = new ArrayList<>();
        allowedEverywhere.add(roots.base() + "..spi..");
        roots.adapters().forEach(adapter -> allowedEverywhere.add(tree(adapter)));
        List<ArchRule> perModule = roots.all().stream()
                .map(root -> {
                    List<String> allowed = new ArrayList<>(allowedEverywhere);
                    allowed.add(tree(root));
                    return noClasses()
                            .that().resideOutsideOfPackages(allowed.toArray(String[]::new))
                            .should(extendOrImplementATypeIn(root + ".spi.."))
                            .allowEmptyShould(true);
                })
                .collect(Collectors.toList());
        return CompositeArchRule.of(perModule).allowEmptyShould(true);
    }

    /** The class's direct superclass or one of its direct interfaces lies in {@code packageIdentifier}. */
    private static ArchCondition<JavaClass> extendOrImplementATypeIn(String packageIdentifier) {
        DescribedPredicate<JavaClass> inPackage = resideInAnyPackage(packageIdentifier);
        return new ArchCondition<>("extend or implement a type in " + packageIdentifier) {
            @Override
            public void check(JavaClass javaClass, ConditionEvents events) {
                List<JavaClass> supertypes = new ArrayList<>(javaClass.getRawInterfaces());
                javaClass.getRawSuperclass().ifPresent(supertypes::add);
                for (JavaClass supertype : supertypes) {
                    if (inPackage.test(supertype)) {
                        events.add(SimpleConditionEvent.satisfied(javaClass, javaClass.getName()
                                + " extends or implements " + supertype.getName() + " in "
                                + javaClass.getSourceCodeLocation()));
                    }
                }
            }
        };
    }

    /**
     * Puts each class into the slice of the module root it belongs to ({@code root} itself or a
     * sub-package), named by the root's last segment; classes outside every root are ignored.
     */
    private static SliceAssignment moduleSlices(List<String> moduleRoots) {
        return new SliceAssignment() {
            @Override
            public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
                String pkg = javaClass.getPackageName();
                for (String root : moduleRoots) {
                    if (pkg.equals(root) || pkg.startsWith(root + ".")) {
                        return SliceIdentifier.of(root.substring(root.lastIndexOf('.') + 1));
                    }
                }
                return SliceIdentifier.ignore();
            }

            @Override
            public String getDescription() {
                return "modules " + moduleRoots;
            }
        };
    }
}
