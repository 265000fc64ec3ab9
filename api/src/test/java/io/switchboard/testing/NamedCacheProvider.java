package io.switchboard.testing;

import io.switchboard.spi.CacheDriver;
import io.switchboard.spi.CacheProvider;
import io.switchboard.spi.ConfigKey;
import io.switchboard.spi.ProviderContext;
import java.util.List;

/** Cache providers that only have a name, for selection tests; creating one is a test failure. */
public abstract class NamedCacheProvider implements CacheProvider {
    private final String name;

    NamedCacheProvider(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<ConfigKey<?>> configKeys() {
        return List.of();
    }

    @Override
    public CacheDriver create(ProviderContext context) {
        throw new AssertionError("cache provider '" + name + "' must not be created by this test");
    }

    /** Named {@code fake-a}. */
    public static final class A extends NamedCacheProvider {
        public A() {
            super("fake-a");
        }
    }

    /** Named {@code fake-b}. */
    public static final class B extends NamedCacheProvider {
        public B() {
            super("fake-b");
        }
    }
}
