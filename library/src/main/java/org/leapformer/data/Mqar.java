package org.leapformer.data;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Generator of multi-query associative recall (MQAR; Arora, Eyuboglu et al. 2023, "Zoology:
 * Measuring and improving recall in efficient language models", https://arxiv.org/abs/2312.04927),
 * the standard test of how much a linear-attention state can hold.
 *
 * <p>A sequence of N tokens begins with K key-value pairs {@code k1 v1 k2 v2 ... kK vK}; then come Q
 * queries, each a key of the pairs again (distinct, in random order), and at a query's position the
 * model must output the value that was paired with that key. The layout is Zoology's
 * ({@code multiquery_ar}):
 * <ul>
 *   <li>keys are drawn without replacement from {@code 1 .. V/2 - 1}, values from {@code V/2 .. V - 1}
 *       (disjoint; id 0 is never a key or a value);</li>
 *   <li>the region after the pairs is cut into (N − 2K) / 2 two-token slots; a query takes the first
 *       token of a slot, slot g (0-based) drawn without replacement with probability proportional to
 *       a·(g + 1)^(a − 1) — a power law in the distance from the pairs; a = 1 is uniform, and Zoology's
 *       default a = 0.01 puts queries near the pairs more often;</li>
 *   <li>every other position is filler: a token drawn uniformly from the whole vocabulary (Zoology's
 *       {@code random_non_queries}), or id 0 when random filler is off;</li>
 *   <li>the target of a query position is its key's value, every other target is {@link #IGNORE}.</li>
 * </ul>
 * A causal model reads the inputs and is scored at the query positions only: the loss and accuracy
 * of {@link org.leapformer.train.Tasks#languageModel} already skip negative targets.
 *
 * <p>Deterministic: the same settings and seed give the same examples on any JVM
 * ({@link java.util.Random} is fully specified). Not thread-safe.
 *
 * <pre>{@code
 * Mqar gen = Mqar.builder().optVocabSize(64).optKvPairs(8).optLength(64).optSeed(7).build();
 * List<MqarExample> examples = gen.generate(1000);
 * }</pre>
 */
public final class Mqar {

    /** The target of a position where nothing is asked (negative: ignored by the loss and accuracy). */
    public static final int IGNORE = -1;
    /** The input id of filler when random filler is off. */
    public static final int FILLER = 0;
    /** Zoology's vocabulary size. */
    public static final int ZOOLOGY_VOCAB_SIZE = 8192;
    /** Zoology's sequence length. */
    public static final int ZOOLOGY_LENGTH = 64;
    /** Zoology's number of key-value pairs. */
    public static final int ZOOLOGY_KV_PAIRS = 4;
    /** Zoology's power of the query-distance law ({@code train_power_a}). */
    public static final double ZOOLOGY_POWER_A = 0.01;

    private final Random random;
    private final int vocabSize;
    private final int kvPairs;
    private final int length;
    private final int queries;
    private final boolean randomFiller;
    private final long maxAttempts;
    private final double[] slotWeights;

    private Mqar(Builder b) {
        this.random = new Random(b.seed);
        this.vocabSize = b.vocabSize;
        this.kvPairs = b.kvPairs;
        this.length = b.length;
        this.queries = b.queries < 0 ? b.kvPairs : b.queries;
        this.randomFiller = b.randomFiller;
        this.maxAttempts = b.maxAttempts;
        int slots = slots(length, kvPairs);
        this.slotWeights = new double[slots];
        for (int g = 0; g < slots; g++) {
            slotWeights[g] = b.powerA * Math.pow(g + 1, b.powerA - 1);
        }
    }

    /** A builder with Zoology's settings (V 8192, N 64, K 4, Q = K, a 0.01, random filler) and seed 0. */
    public static Builder builder() {
        return new Builder();
    }

    /** V: every id is below it. */
    public int vocabSize() {
        return vocabSize;
    }

    /** K, the key-value pairs of a sequence. */
    public int kvPairs() {
        return kvPairs;
    }

    /** N, the sequence length. */
    public int length() {
        return length;
    }

    /** Q, the queries of a sequence. */
    public int queries() {
        return queries;
    }

    /** The first value id, V / 2: keys are {@code 1 .. V/2 - 1}, values {@code V/2 .. V - 1}. */
    public int firstValue() {
        return vocabSize / 2;
    }

    /** The number of two-token query slots after the pairs, (N − 2K) / 2. */
    static int slots(int length, int kvPairs) {
        return (length - 2 * kvPairs) / 2;
    }

    /** The next random example. */
    public MqarExample next() {
        int[] keys = distinct(1, vocabSize / 2, kvPairs);
        int[] values = distinct(vocabSize / 2, vocabSize, kvPairs);
        int[] in = new int[length];
        int[] target = new int[length];
        java.util.Arrays.fill(target, IGNORE);
        for (int i = 0; i < length; i++) {
            in[i] = randomFiller ? random.nextInt(vocabSize) : FILLER;
        }
        for (int j = 0; j < kvPairs; j++) {
            in[2 * j] = keys[j];
            in[2 * j + 1] = values[j];
        }
        int[] asked = distinct(0, kvPairs, queries); // which pairs are queried, in the order of their slots
        int[] slot = weightedDistinct(queries);
        for (int q = 0; q < queries; q++) {
            int at = 2 * kvPairs + 2 * slot[q];
            in[at] = keys[asked[q]];
            target[at] = values[asked[q]];
        }
        return new MqarExample(in, target);
    }

    /**
     * {@code count} distinct examples (split the result, as for {@link ListOps#generate}, so no
     * sequence is in two sets).
     *
     * @throws IllegalStateException when the settings allow too few distinct examples
     */
    public List<MqarExample> generate(int count) {
        if (count < 0) {
            throw new IllegalArgumentException("MQAR example count: expected >= 0, found " + count);
        }
        Set<MqarExample> seen = new HashSet<>();
        List<MqarExample> out = new ArrayList<>(count);
        long duplicates = 0;
        while (out.size() < count) {
            MqarExample e = next();
            if (seen.add(e)) {
                out.add(e);
            } else if (++duplicates > maxAttempts) {
                throw new IllegalStateException("MQAR generator: expected " + count + " distinct examples, found "
                        + out.size() + " after " + duplicates + " duplicates; raise the vocabulary size, the key-value "
                        + "pairs or the length");
            }
        }
        return out;
    }

    /** {@code n} distinct ints of {@code from .. to - 1} in random order (a partial Fisher-Yates). */
    private int[] distinct(int from, int to, int n) {
        int[] pool = new int[to - from];
        for (int i = 0; i < pool.length; i++) {
            pool[i] = from + i;
        }
        for (int i = 0; i < n; i++) {
            int j = i + random.nextInt(pool.length - i);
            int t = pool[i];
            pool[i] = pool[j];
            pool[j] = t;
        }
        return java.util.Arrays.copyOf(pool, n);
    }

    /** {@code n} distinct slots drawn one after another with the power-law weights of those left. */
    private int[] weightedDistinct(int n) {
        double[] w = slotWeights.clone();
        double total = 0;
        for (double x : w) {
            total += x;
        }
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            double u = random.nextDouble() * total;
            int pick = -1;
            for (int g = 0; g < w.length; g++) {
                if (w[g] > 0) {
                    pick = g; // the last slot left, should rounding leave u past the end
                    u -= w[g];
                    if (u < 0) {
                        break;
                    }
                }
            }
            out[i] = pick;
            total -= w[pick];
            w[pick] = 0;
        }
        return out;
    }

    /** Builder: every setting is optional and defaults to Zoology's. */
    public static final class Builder {
        private long seed;
        private int vocabSize = ZOOLOGY_VOCAB_SIZE;
        private int kvPairs = ZOOLOGY_KV_PAIRS;
        private int length = ZOOLOGY_LENGTH;
        private int queries = -1;
        private double powerA = ZOOLOGY_POWER_A;
        private boolean randomFiller = true;
        private long maxAttempts = 1_000_000;

        private Builder() {}

        /** Seed of the generator (default 0). */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /** V: keys are {@code 1 .. V/2 - 1}, values {@code V/2 .. V - 1} (default 8192, as Zoology). */
        public Builder optVocabSize(int vocabSize) {
            this.vocabSize = vocabSize;
            return this;
        }

        /** K, the key-value pairs of a sequence (default 4, as Zoology). */
        public Builder optKvPairs(int kvPairs) {
            this.kvPairs = kvPairs;
            return this;
        }

        /** N, the sequence length (default 64, as Zoology). */
        public Builder optLength(int length) {
            this.length = length;
            return this;
        }

        /** Q, the queries of a sequence, 1 to K (default K: every key is asked once, as Zoology). */
        public Builder optQueries(int queries) {
            this.queries = queries;
            return this;
        }

        /**
         * The power a of the query-distance law, slot g drawn with weight a·(g + 1)^(a − 1): 1 is
         * uniform (default 0.01, as Zoology).
         */
        public Builder optPowerA(double powerA) {
            this.powerA = powerA;
            return this;
        }

        /** Whether filler positions carry random ids (default, as Zoology) or id {@link #FILLER}. */
        public Builder optRandomFiller(boolean randomFiller) {
            this.randomFiller = randomFiller;
            return this;
        }

        /** Duplicates {@link #generate} allows before giving up (default 1,000,000). */
        public Builder optMaxAttempts(long maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        /** Validates and builds. */
        public Mqar build() {
            require(kvPairs >= 1, "MQAR key-value pairs", "K >= 1", kvPairs);
            int q = queries < 0 ? kvPairs : queries;
            require(queries == -1 || (queries >= 1 && queries <= kvPairs), "MQAR queries",
                    "1 <= Q <= K = " + kvPairs + " (each query asks a different key)", queries);
            require(vocabSize >= 2 && vocabSize / 2 - 1 >= kvPairs && vocabSize - vocabSize / 2 >= kvPairs,
                    "MQAR vocabulary size", "V >= " + (2 * kvPairs + 2) + " for K = " + kvPairs + " distinct keys in "
                            + "1 .. V/2 - 1 and as many distinct values in V/2 .. V - 1", vocabSize);
            require(length >= 2 * kvPairs + 2 * q, "MQAR sequence length", "N >= 2K + 2Q = " + (2 * kvPairs + 2 * q)
                    + " (K = " + kvPairs + " pairs, then Q = " + q + " queries, each in its own two-token slot)",
                    length);
            require(powerA > 0 && Double.isFinite(powerA), "MQAR power a", "a finite a > 0 (1 = uniform)", powerA);
            require(maxAttempts > 0, "MQAR max attempts", "a positive count", maxAttempts);
            return new Mqar(this);
        }

        private static void require(boolean ok, String what, Object expected, Object found) {
            if (!ok) {
                throw new IllegalArgumentException(what + ": expected " + expected + ", found " + found);
            }
        }
    }
}
