package io.switchboard.rabbitmq.internal;

import java.util.Arrays;

/**
 * A sorted set of delivery tags in a {@code long} array, for the tags of one consumer channel.
 * Not thread-safe. Tags mostly arrive in increasing order and leave from the front, which cost
 * O(1) here; anything else costs a binary search and an array shift over at most the channel's
 * outstanding deliveries. Replaces a {@code TreeSet<Long>}, which boxed every tag and allocated
 * a tree node per delivery.
 */
final class SortedTags {
    private long[] tags = new long[16];
    /** Elements are {@code tags[head..tail)}, increasing. */
    private int head;
    private int tail;

    int size() {
        return tail - head;
    }

    boolean isEmpty() {
        return tail == head;
    }

    /** The smallest tag; the set must not be empty. */
    long first() {
        return tags[head];
    }

    /** The largest tag; the set must not be empty. */
    long last() {
        return tags[tail - 1];
    }

    /** The {@code i}-th smallest tag, from 0. */
    long get(int i) {
        return tags[head + i];
    }

    /** Adds a tag; no-op if present. */
    void add(long tag) {
        if (tail == head || tag > tags[tail - 1]) {
            room();
            tags[tail++] = tag;
            return;
        }
        int at = Arrays.binarySearch(tags, head, tail, tag);
        if (at >= 0) {
            return;
        }
        int ins = -at - 1;
        if (ins == head && head > 0) {
            tags[--head] = tag;
            return;
        }
        if (tail == tags.length) {
            room();
            ins = -Arrays.binarySearch(tags, head, tail, tag) - 1;
        }
        System.arraycopy(tags, ins, tags, ins + 1, tail - ins);
        tags[ins] = tag;
        tail++;
    }

    /** Removes a tag; returns whether it was present. */
    boolean remove(long tag) {
        if (tail == head) {
            return false;
        }
        if (tags[head] == tag) {
            head++;
            reset();
            return true;
        }
        int at = Arrays.binarySearch(tags, head, tail, tag);
        if (at < 0) {
            return false;
        }
        System.arraycopy(tags, at + 1, tags, at, tail - at - 1);
        tail--;
        return true;
    }

    /** How many tags are below {@code bound}. */
    int countBelow(long bound) {
        if (tail == head || tags[tail - 1] < bound) {
            return tail - head;
        }
        int at = Arrays.binarySearch(tags, head, tail, bound);
        return (at >= 0 ? at : -at - 1) - head;
    }

    /** Removes the {@code n} smallest tags. */
    void removeFirst(int n) {
        head += n;
        reset();
    }

    void clear() {
        head = 0;
        tail = 0;
    }

    private void reset() {
        if (head == tail) {
            head = 0;
            tail = 0;
        }
    }

    /** Makes room for one more at the tail: moves the elements to the front, or grows. */
    private void room() {
        if (tail < tags.length) {
            return;
        }
        int n = tail - head;
        if (head > 0 && n < tags.length / 2) {
            System.arraycopy(tags, head, tags, 0, n);
        } else {
            long[] grown = new long[tags.length * 2];
            System.arraycopy(tags, head, grown, 0, n);
            tags = grown;
        }
        head = 0;
        tail = n;
    }
}
