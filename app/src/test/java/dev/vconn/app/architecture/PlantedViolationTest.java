package dev.vconn.app.architecture;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import dev.vconn.app.architecture.planted.bad.app.HomemadeVConn;
import dev.vconn.app.architecture.planted.bad.app.ServerMain;
import dev.vconn.app.architecture.planted.bad.bench.TransportBenchmark;
import dev.vconn.app.architecture.planted.bad.domain.AppAwareContinuation;
import dev.vconn.app.architecture.planted.bad.domain.ChannelLeakingBuffer;
import dev.vconn.app.architecture.planted.bad.domain.HookRegistry;
import dev.vconn.app.architecture.planted.bad.domain.SocketHoldingVConn;
import dev.vconn.app.architecture.planted.bad.domain.http.Transaction;
import dev.vconn.app.architecture.planted.bad.domain.internal.PooledBlock;
import dev.vconn.app.architecture.planted.bad.domain.spi.LoopClock;
import dev.vconn.app.architecture.planted.bad.domain.spi.SharedCore;
import dev.vconn.app.architecture.planted.bad.inmemory.InternalPeeker;
import dev.vconn.app.architecture.planted.bad.inmemory.NettyBackedPair;
import dev.vconn.app.architecture.planted.bad.netty.BenchAwareTuning;
import dev.vconn.app.architecture.planted.bad.netty.NettyTransport;
import dev.vconn.app.architecture.planted.bad.nio.NioTransport;
import dev.vconn.app.architecture.planted.bad.plugin.TransportAwarePlugin;
import dev.vconn.app.architecture.planted.bad.ports.AdapterAwarePort;
import dev.vconn.app.architecture.planted.bad.ports.PortClock;
import dev.vconn.app.architecture.planted.thirdparty.netty.FakeChannel;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Proves the rules of {@link ArchitectureRules} catch violations, so {@link ArchitectureTest}
 * passing (today mostly over empty modules) means something. The same rule definitions are
 * instantiated with module roots under {@code dev.vconn.app.architecture.planted.bad}, whose test
 * classes break each rule on purpose, and under {@code …planted.clean}, a legal miniature of the
 * same layout on which no rule may fire. {@code …planted.thirdparty.netty} stands in for
 * {@code io.netty}, which is not on app's test classpath.
 */
class PlantedViolationTest {

    private static final String PLANTED = "dev.vconn.app.architecture.planted";
    private static final String FAKE_NETTY = PLANTED + ".thirdparty.netty";

    private static final ModuleRoots BAD_ROOTS = new ModuleRoots(PLANTED + ".bad", FAKE_NETTY);
    private static final ModuleRoots CLEAN_ROOTS = new ModuleRoots(PLANTED + ".clean", FAKE_NETTY);

    private static final JavaClasses BAD = new ClassFileImporter().importPackages(BAD_ROOTS.base());
    private static final JavaClasses CLEAN = new ClassFileImporter().importPackages(CLEAN_ROOTS.base());

    @Test
    void domain_uses_no_sockets_or_channels_catches_channels_sockets_and_outer_modules() {
        ArchRule rule = ArchitectureRules.domainUsesNoSocketsOrChannels(BAD_ROOTS);
        assertCaught(rule, ChannelLeakingBuffer.class, SocketChannel.class);
        assertCaught(rule, SocketHoldingVConn.class, Socket.class);
        assertCaught(rule, AppAwareContinuation.class, ServerMain.class);
        // The clean domain uses java.net.SocketAddress/InetSocketAddress, Guava and slf4j.
        assertClean(ArchitectureRules.domainUsesNoSocketsOrChannels(CLEAN_ROOTS));
    }

    @Test
    void ports_depend_only_on_domain_catches_a_port_that_knows_an_adapter() {
        assertCaught(ArchitectureRules.portsDependOnlyOnDomain(BAD_ROOTS),
                AdapterAwarePort.class, NioTransport.class);
        // The clean ports use SocketChannel, Guava, the domain, primitives and arrays.
        assertClean(ArchitectureRules.portsDependOnlyOnDomain(CLEAN_ROOTS));
    }

    @Test
    void plugin_api_depends_only_on_the_libraries_catches_a_plugin_api_that_knows_a_transport() {
        assertCaught(ArchitectureRules.pluginApiDependsOnlyOnTheLibraries(BAD_ROOTS),
                TransportAwarePlugin.class, NioTransport.class);
        assertClean(ArchitectureRules.pluginApiDependsOnlyOnTheLibraries(CLEAN_ROOTS));
    }

    @Test
    void adapters_do_not_depend_on_each_other_catches_nio_using_netty() {
        assertCaught(ArchitectureRules.adaptersDoNotDependOnEachOther(BAD_ROOTS),
                NioTransport.class, NettyTransport.class);
        assertClean(ArchitectureRules.adaptersDoNotDependOnEachOther(CLEAN_ROOTS));
    }

    @Test
    void nothing_depends_on_app_or_bench_catches_both() {
        ArchRule rule = ArchitectureRules.nothingDependsOnAppOrBench(BAD_ROOTS);
        assertCaught(rule, AppAwareContinuation.class, ServerMain.class);
        assertCaught(rule, BenchAwareTuning.class, TransportBenchmark.class);
        assertClean(ArchitectureRules.nothingDependsOnAppOrBench(CLEAN_ROOTS));
    }

    @Test
    void netty_only_in_netty_adapter_catches_netty_elsewhere_but_not_in_the_netty_adapter() {
        EvaluationResult result = assertCaught(ArchitectureRules.nettyOnlyInNettyAdapter(BAD_ROOTS),
                NettyBackedPair.class, FakeChannel.class);
        assertFalse(report(result).contains(NettyTransport.class.getName()),
                "the netty adapter itself may use Netty:\n" + report(result));
        assertClean(ArchitectureRules.nettyOnlyInNettyAdapter(CLEAN_ROOTS));
    }

    @Test
    void no_module_cycles_catches_domain_and_app_using_each_other() {
        assertCaught(ArchitectureRules.noModuleCycles(BAD_ROOTS),
                AppAwareContinuation.class, ServerMain.class);
        assertClean(ArchitectureRules.noModuleCycles(CLEAN_ROOTS));
    }

    @Test
    void no_package_cycles_catches_a_cycle_inside_one_module() {
        ArchRule rule = ArchitectureRules.noPackageCycles(BAD_ROOTS);
        assertCaught(rule, HookRegistry.class, Transaction.class);
        assertCaught(rule, Transaction.class, HookRegistry.class);
        assertClean(ArchitectureRules.noPackageCycles(CLEAN_ROOTS));
    }

    @Test
    void internal_packages_are_not_used_across_modules_catches_an_adapter_in_domain_internal() {
        assertCaught(ArchitectureRules.internalPackagesAreNotUsedAcrossModules(BAD_ROOTS),
                InternalPeeker.class, PooledBlock.class);
        // The clean set uses domain.internal from the domain and nio.internal from nio.
        assertClean(ArchitectureRules.internalPackagesAreNotUsedAcrossModules(CLEAN_ROOTS));
    }

    @Test
    void spi_types_are_extended_only_by_transports_catches_the_app_and_an_api_package_building_on_spi() {
        ArchRule rule = ArchitectureRules.spiTypesAreExtendedOnlyByTransports(BAD_ROOTS);
        assertCaught(rule, HomemadeVConn.class, SharedCore.class);
        assertCaught(rule, PortClock.class, LoopClock.class);
        // The clean set extends domain.spi from domain.pair (same module), ports.spi and the nio adapter.
        assertClean(ArchitectureRules.spiTypesAreExtendedOnlyByTransports(CLEAN_ROOTS));
    }

    /** The "no violation" results above are not vacuous: every planted module holds classes. */
    @Test
    void planted_sets_populate_every_module() {
        assertEveryModulePopulated(BAD_ROOTS, BAD);
        assertEveryModulePopulated(CLEAN_ROOTS, CLEAN);
    }

    private static void assertEveryModulePopulated(ModuleRoots roots, JavaClasses classes) {
        for (String root : roots.all()) {
            assertTrue(classes.stream().anyMatch(c -> c.getPackageName().startsWith(root)),
                    "no planted class in " + root);
        }
    }

    /**
     * Asserts the rule fails on the bad set with a violation that names both the offending class
     * and what it must not depend on.
     */
    private static EvaluationResult assertCaught(ArchRule rule, Class<?> offender, Class<?> target) {
        EvaluationResult result = rule.evaluate(BAD);
        assertTrue(result.hasViolation(), "expected a violation of: " + rule.getDescription());
        List<String> details = result.getFailureReport().getDetails();
        assertTrue(details.stream().anyMatch(detail ->
                        detail.contains(offender.getName()) && detail.contains(target.getName())),
                "expected the report to name " + offender.getName() + " -> " + target.getName()
                        + ":\n" + report(result));
        return result;
    }

    private static void assertClean(ArchRule rule) {
        EvaluationResult result = rule.evaluate(CLEAN);
        assertFalse(result.hasViolation(), "unexpected violations on the clean set:\n" + report(result));
    }

    private static String report(EvaluationResult result) {
        return result.getFailureReport().toString();
    }
}
