package io.switchboard.rabbitmq.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class SortedTagsTest {
    @Test
    void inOrderTagsComeOutInOrder() {
        SortedTags t = new SortedTags();
        for (long i = 1; i <= 100; i++) {
            t.add(i);
        }
        assertEquals(100, t.size());
        assertEquals(1, t.first());
        assertEquals(100, t.last());
        assertEquals(49, t.countBelow(50));
        t.removeFirst(49);
        assertEquals(50, t.first());
        assertTrue(t.remove(50));
        assertFalse(t.remove(50));
        assertTrue(t.remove(75));
        assertEquals(49, t.size());
        assertEquals(76, t.get(24));
    }

    /** Against a TreeSet, with the operations and orders the consumer channel uses: mostly in order, some not. */
    @Test
    void behavesAsASortedSetUnderRandomOperations() {
        Random r = new Random(42);
        for (int round = 0; round < 200; round++) {
            SortedTags t = new SortedTags();
            TreeSet<Long> ref = new TreeSet<>();
            long next = 1;
            for (int op = 0; op < 2000; op++) {
                int k = r.nextInt(10);
                if (k < 4) {
                    t.add(next);
                    ref.add(next);
                    next++;
                } else if (k < 6 && !ref.isEmpty()) {
                    long first = ref.first();
                    assertEquals(first, t.first());
                    assertTrue(t.remove(first));
                    ref.remove(first);
                } else if (k < 7) {
                    long any = 1 + (long) r.nextInt((int) next);
                    assertEquals(ref.remove(any), t.remove(any), "remove " + any);
                } else if (k < 8) {
                    long any = 1 + (long) r.nextInt((int) next);
                    assertEquals(ref.add(any), !containsVia(t, any));
                    t.add(any);
                } else if (k < 9) {
                    long bound = 1 + (long) r.nextInt((int) next + 1);
                    int below = t.countBelow(bound);
                    assertEquals(ref.headSet(bound, false).size(), below, "below " + bound);
                    if (r.nextBoolean()) {
                        t.removeFirst(below);
                        ref.headSet(bound, false).clear();
                    }
                } else if (r.nextInt(50) == 0) {
                    t.clear();
                    ref.clear();
                }
                assertEquals(new ArrayList<>(ref), contents(t));
            }
        }
    }

    private static boolean containsVia(SortedTags t, long tag) {
        return contents(t).contains(tag);
    }

    private static List<Long> contents(SortedTags t) {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < t.size(); i++) {
            out.add(t.get(i));
        }
        return out;
    }
}
