package org.leapformer.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Next-token prediction windows over a token id stream: window i holds input ids
 * {@code tokens[i*N .. i*N+N)} and target ids {@code tokens[i*N+1 .. i*N+N]} (the input shifted
 * by one). Windows do not overlap, so a stream of T ids gives {@code (T - 1) / N} windows; the
 * tail too short for a window is left out.
 *
 * <p>{@link #split(int[], double)} cuts a stream into a training head and a validation tail
 * (contiguous, so no text is in both). {@link #batches} groups windows into (B, N) batches,
 * shuffled reproducibly by seed and epoch. For DJL's training loop, see {@link TokenWindowDataset}.
 *
 * <pre>{@code
 * TokenWindows.Split s = TokenWindows.split(tok.encode(text), 0.1);
 * TokenWindows train = TokenWindows.of(s.train(), 128);
 * for (TokenWindows.Batch b : train.batches(32, true, seed, epoch)) { ... b.input() (B, N) ... }
 * }</pre>
 */
public final class TokenWindows {

    private final int[] tokens;
    private final int length;
    private final int count;

    private TokenWindows(int[] tokens, int length) {
        this.tokens = tokens;
        this.length = length;
        this.count = tokens.length == 0 ? 0 : (tokens.length - 1) / length;
    }

    /**
     * Windows of {@code windowLength} over {@code tokens} (not copied: do not change it afterwards).
     *
     * @throws IllegalArgumentException when the length is not positive or no window fits
     */
    public static TokenWindows of(int[] tokens, int windowLength) {
        if (tokens == null) {
            throw new IllegalArgumentException("token ids: expected an array, found null");
        }
        if (windowLength <= 0) {
            throw new IllegalArgumentException("window length: expected a positive N, found " + windowLength);
        }
        if (tokens.length < windowLength + 1) {
            throw new IllegalArgumentException("token ids: expected at least N + 1 = " + (windowLength + 1)
                    + " for one window, found " + tokens.length);
        }
        return new TokenWindows(tokens, windowLength);
    }

    /**
     * The stream cut in two: the first {@code 1 - validFraction} of the ids for training, the rest
     * for validation.
     *
     * @param validFraction in [0, 1)
     */
    public static Split split(int[] tokens, double validFraction) {
        if (tokens == null) {
            throw new IllegalArgumentException("token ids: expected an array, found null");
        }
        if (!(validFraction >= 0 && validFraction < 1)) {
            throw new IllegalArgumentException("validation fraction: expected a value in [0, 1), found " + validFraction);
        }
        int cut = (int) Math.round(tokens.length * (1 - validFraction));
        return new Split(Arrays.copyOfRange(tokens, 0, cut), Arrays.copyOfRange(tokens, cut, tokens.length));
    }

    /** Number of windows. */
    public int size() {
        return count;
    }

    /** N, the window length. */
    public int windowLength() {
        return length;
    }

    /** (N) input ids of window i. */
    public int[] input(int i) {
        check(i);
        return Arrays.copyOfRange(tokens, i * length, i * length + length);
    }

    /** (N) target ids of window i: the input shifted by one token. */
    public int[] target(int i) {
        check(i);
        return Arrays.copyOfRange(tokens, i * length + 1, i * length + length + 1);
    }

    private void check(int i) {
        if (i < 0 || i >= count) {
            throw new IllegalArgumentException("window index: expected 0.." + (count - 1) + ", found " + i);
        }
    }

    /**
     * The windows in batches of {@code batchSize}; the last batch is smaller when B does not divide
     * the window count.
     *
     * @param shuffle whether to visit windows in the order {@link SeededSampler#order} gives, else in order
     * @param seed the run's seed (ignored without shuffling)
     * @param epoch the epoch, for a new order each epoch (ignored without shuffling)
     */
    public List<Batch> batches(int batchSize, boolean shuffle, long seed, int epoch) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size: expected a positive B, found " + batchSize);
        }
        int[] order = shuffle ? SeededSampler.order(count, seed, epoch) : identity(count);
        List<Batch> out = new ArrayList<>((count + batchSize - 1) / batchSize);
        for (int start = 0; start < count; start += batchSize) {
            int b = Math.min(batchSize, count - start);
            int[][] input = new int[b][];
            int[][] target = new int[b][];
            for (int r = 0; r < b; r++) {
                input[r] = input(order[start + r]);
                target[r] = target(order[start + r]);
            }
            out.add(new Batch(input, target));
        }
        return out;
    }

    static int[] identity(int n) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        return order;
    }

    /**
     * A training head and validation tail of a token stream.
     *
     * @param train the first ids
     * @param valid the last ids
     */
    public record Split(int[] train, int[] valid) {}

    /**
     * A batch of windows.
     *
     * @param input (B, N) input ids
     * @param target (B, N) target ids, the inputs shifted by one
     */
    public record Batch(int[][] input, int[][] target) {

        /** B, the number of windows. */
        public int batchSize() {
            return input.length;
        }
    }
}
