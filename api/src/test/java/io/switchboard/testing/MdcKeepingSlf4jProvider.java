package io.switchboard.testing;

import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.simple.SimpleServiceProvider;
import org.slf4j.spi.MDCAdapter;

/**
 * slf4j-simple with an MDC that keeps its values (slf4j-simple's own discards them), so that the
 * api's tests can see what {@link io.switchboard.MdcInterceptor} puts there. Chosen through the
 * {@code slf4j.provider} system property that api/pom.xml gives the tests.
 */
public final class MdcKeepingSlf4jProvider extends SimpleServiceProvider {
    private final MDCAdapter mdc = new BasicMDCAdapter();

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }
}
