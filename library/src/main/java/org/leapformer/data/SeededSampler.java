package org.leapformer.data;

import ai.djl.training.dataset.BatchSampler;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Sampler;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Random;

/**
 * A reproducible shuffle: epoch e visits the indices 0..n-1 in the order {@link #order(int, long, int)}
 * gives for this seed and e. As a DJL {@link Sampler.SubSampler} each call to
 * {@link #sample(RandomAccessDataset)} is the next epoch, starting at 0; wrap it in a
 * {@link ai.djl.training.dataset.BatchSampler} for batches.
 */
public final class SeededSampler implements Sampler.SubSampler {

    private final long seed;
    private int epoch;

    /**
     * Batches of B reshuffled reproducibly every epoch from {@code seed}, the last smaller batch
     * dropped: the sampling of this package's DJL datasets.
     */
    public static BatchSampler batches(int batchSize, long seed) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size: expected a positive B, found " + batchSize);
        }
        return new BatchSampler(new SeededSampler(seed), batchSize, true);
    }

    /** A sampler whose first epoch is 0. */
    public SeededSampler(long seed) {
        this.seed = seed;
    }

    /** The epoch the next {@link #sample} call draws. */
    public synchronized int nextEpoch() {
        return epoch;
    }

    @Override
    public synchronized Iterator<Long> sample(RandomAccessDataset dataset) {
        long size = dataset.size();
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("dataset size: expected at most " + Integer.MAX_VALUE + ", found " + size);
        }
        int[] order = order((int) size, seed, epoch++);
        return Arrays.stream(order).mapToObj(i -> (long) i).iterator();
    }

    /**
     * A permutation of 0..n-1 (Fisher-Yates over {@link Random}, which every JVM implements alike).
     *
     * @param n element count
     * @param seed the run's seed
     * @param epoch the epoch; each gives another permutation
     */
    public static int[] order(int n, long seed, int epoch) {
        if (n < 0) {
            throw new IllegalArgumentException("element count: expected >= 0, found " + n);
        }
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Random random = new Random(seed * 0x9E3779B97F4A7C15L + epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }
}
