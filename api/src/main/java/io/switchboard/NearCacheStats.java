package io.switchboard;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Counters of one {@link NearCache} since it was opened. Immutable snapshot.
 *
 * @param hits reads served from local memory
 * @param misses reads that went to the shared cache
 * @param invalidationsSent announcements published (invalidations or updates, and clear requests)
 * @param invalidationsReceived announcements from other instances applied
 * @param gapsRecovered times local copies were dropped because the transport or cache reported a
 *     lost connection or a recovery with a possible gap
 * @param sequenceGaps times local copies were dropped because an announcement from another
 *     instance was found missing
 * @param staleLoadsDiscarded values read from the shared cache that were not kept because their
 *     key was evicted or written while the read was in flight
 * @param evictions local entries dropped to respect the size bound
 * @param publishFailures announcements the transport refused (each leads to a clear request)
 * @param localSize entries held locally when the snapshot was taken
 */
public record NearCacheStats(long hits, long misses, long invalidationsSent, long invalidationsReceived, long gapsRecovered,
        long sequenceGaps, long staleLoadsDiscarded, long evictions, long publishFailures, int localSize) {

    /** The share of reads served locally, 0 to 1 (0 when nothing was read). */
    public double hitRatio() {
        long reads = hits + misses;
        return reads == 0 ? 0 : (double) hits / reads;
    }

    /** The counters as a map, for {@link Health} details and logging. */
    public Map<String, Object> asMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("hits", hits);
        m.put("misses", misses);
        m.put("invalidationsSent", invalidationsSent);
        m.put("invalidationsReceived", invalidationsReceived);
        m.put("gapsRecovered", gapsRecovered);
        m.put("sequenceGaps", sequenceGaps);
        m.put("staleLoadsDiscarded", staleLoadsDiscarded);
        m.put("evictions", evictions);
        m.put("publishFailures", publishFailures);
        m.put("localSize", localSize);
        return m;
    }
}
