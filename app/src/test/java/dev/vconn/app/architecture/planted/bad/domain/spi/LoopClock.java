package dev.vconn.app.architecture.planted.bad.domain.spi;

/** An implementor-only interface of the planted domain. */
public interface LoopClock {
    long nanoTime();
}
