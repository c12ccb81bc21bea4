/**
 * Deliberately planted classes for {@link dev.vconn.app.architecture.PlantedViolationTest}; test
 * sources only, never analyzed by {@link dev.vconn.app.architecture.ArchitectureTest}.
 *
 * <p>{@code bad} and {@code clean} each mirror the module layout of {@code dev.vconn}
 * ({@code domain}, {@code ports}, {@code nio}, {@code netty}, {@code inmemory}, {@code app},
 * {@code bench}); {@code bad} breaks every rule at least once, {@code clean} breaks none.
 * {@code thirdparty.netty} stands in for {@code io.netty}, which is not on app's test classpath.
 */
package dev.vconn.app.architecture.planted;
