package org.leapformer.data;

import java.util.Arrays;

/** A growable int array. */
final class IntList {

    private int[] values;
    private int size;

    IntList(int capacity) {
        values = new int[Math.max(capacity, 8)];
    }

    void add(int v) {
        if (size == values.length) {
            if (values.length == Integer.MAX_VALUE - 8) {
                throw new IllegalStateException("token count: expected at most " + values.length
                        + " tokens in one array, found more");
            }
            values = Arrays.copyOf(values, (int) Math.min((long) values.length * 2, Integer.MAX_VALUE - 8));
        }
        values[size++] = v;
    }

    void addAll(int[] vs) {
        for (int v : vs) {
            add(v);
        }
    }

    int size() {
        return size;
    }

    int[] toArray() {
        return Arrays.copyOf(values, size);
    }
}
