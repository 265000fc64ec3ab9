package io.switchboard.it.swap;

import io.switchboard.Subscription;
import io.switchboard.SubscriptionOptions;
import io.switchboard.Switchboard;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The application of {@link SwappingTheJarIT}: plain Switchboard code that names no provider.
 * Configuration comes from the environment; the provider is whichever transport jar is on the
 * classpath. It subscribes, publishes 100 messages, fails the first attempt of ten of them, and
 * prints what it saw.
 */
public final class SwapApp {
    private SwapApp() {
    }

    /** Runs once; exits 0 when every message was handled, 1 otherwise. */
    public static void main(String[] args) throws Exception {
        String channel = args[0];
        Set<String> handled = ConcurrentHashMap.newKeySet();
        AtomicInteger calls = new AtomicInteger();
        try (Switchboard sb = Switchboard.open()) {
            SubscriptionOptions options = SubscriptionOptions.defaults();
            try (Subscription s = sb.subscriber().subscribe(channel, options, d -> {
                calls.incrementAndGet();
                int n = Integer.parseInt(d.message().text());
                if (n < 10 && d.attempt() == 1) {
                    throw new IllegalStateException("first attempt of " + n + " fails on purpose");
                }
                handled.add(d.message().text());
            })) {
                for (int i = 0; i < 100; i++) {
                    sb.publisher().publishAndWait(channel, io.switchboard.Message.ofText(Integer.toString(i)), Duration.ofSeconds(5));
                }
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (handled.size() < 100 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
            }
            System.out.println("transport=" + sb.transportName() + " guarantee=" + sb.capabilities().deliveryGuarantee() + " handled="
                    + handled.size() + " calls=" + calls.get());
            System.exit(handled.size() == 100 ? 0 : 1);
        }
    }
}
