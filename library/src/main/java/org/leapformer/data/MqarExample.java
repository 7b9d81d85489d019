package org.leapformer.data;

import java.util.Arrays;

/**
 * One multi-query associative recall sequence ({@link Mqar}): the input ids the model reads and,
 * per position, the id it must output there — the value paired with the key queried at that
 * position — or {@link Mqar#IGNORE} where nothing is asked.
 *
 * <p>The arrays are copied in and out: an example cannot be changed once made.
 */
public final class MqarExample {

    private final int[] inputs;
    private final int[] targets;

    /**
     * @param inputs the token ids, length N
     * @param targets per position the value to output, or {@link Mqar#IGNORE}; length N
     */
    public MqarExample(int[] inputs, int[] targets) {
        if (inputs == null || targets == null) {
            throw new IllegalArgumentException("MQAR example: expected input and target arrays, found "
                    + (inputs == null ? "no inputs" : "no targets"));
        }
        if (inputs.length != targets.length || inputs.length == 0) {
            throw new IllegalArgumentException("MQAR example: expected as many targets as inputs (N > 0), found "
                    + inputs.length + " inputs and " + targets.length + " targets");
        }
        for (int i = 0; i < targets.length; i++) {
            if (inputs[i] < 0 || (targets[i] < 0 && targets[i] != Mqar.IGNORE)) {
                throw new IllegalArgumentException("MQAR example position " + i + ": expected an input id >= 0 and "
                        + "a target id >= 0 or " + Mqar.IGNORE + " (ignored), found " + inputs[i] + " and "
                        + targets[i]);
            }
        }
        this.inputs = inputs.clone();
        this.targets = targets.clone();
    }

    /** N, the sequence length. */
    public int length() {
        return inputs.length;
    }

    /** The token ids (a copy). */
    public int[] inputs() {
        return inputs.clone();
    }

    /** Per position the value to output, or {@link Mqar#IGNORE} (a copy). */
    public int[] targets() {
        return targets.clone();
    }

    /** The input id at position {@code i}. */
    public int input(int i) {
        return inputs[i];
    }

    /** The target at position {@code i}, {@link Mqar#IGNORE} where nothing is asked. */
    public int target(int i) {
        return targets[i];
    }

    /** The positions of the queries (where the target is not ignored), in increasing order. */
    public int[] queryPositions() {
        return java.util.stream.IntStream.range(0, targets.length).filter(i -> targets[i] != Mqar.IGNORE).toArray();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MqarExample e && Arrays.equals(inputs, e.inputs) && Arrays.equals(targets, e.targets);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(inputs) + Arrays.hashCode(targets);
    }

    @Override
    public String toString() {
        return "MqarExample[inputs=" + Arrays.toString(inputs) + ", targets=" + Arrays.toString(targets) + "]";
    }
}
