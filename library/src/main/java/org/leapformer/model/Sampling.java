package org.leapformer.model;

import java.util.Arrays;
import java.util.Random;
import org.leapformer.ops.Checks;

/**
 * How the next token is picked from logits: greedy (argmax), or a seeded draw from
 * softmax(logits / temperature) restricted to the top k tokens and to the smallest set whose
 * probability reaches p (nucleus sampling, Holtzman et al. 2020). Used by
 * {@link DecoderLM#generate}, the inspection stepper, and user code through {@link #picker()}.
 *
 * @param temperature > 0; ignored when greedy
 * @param topK keep the k most likely tokens (0 = all); ignored when greedy
 * @param topP keep the most likely tokens until their probability reaches p, in (0, 1] (1 = all)
 * @param greedy take the argmax
 * @param seed seed of the draws
 */
public record Sampling(double temperature, int topK, double topP, boolean greedy, long seed) {

    public Sampling {
        Checks.require(Double.isFinite(temperature) && temperature > 0, "temperature", "a finite number > 0",
                temperature);
        Checks.require(topK >= 0, "top-k", "0 (all tokens) or a positive k", topK);
        Checks.require(topP > 0 && topP <= 1, "top-p", "a probability in (0, 1] (1 = all tokens)", topP);
    }

    /** Always the most likely token. */
    public static Sampling greedyDecoding() {
        return new Sampling(1.0, 0, 1.0, true, 0);
    }

    /** A seeded draw from softmax(logits / temperature) over the top k tokens (0 = all). */
    public static Sampling sample(double temperature, int topK, long seed) {
        return new Sampling(temperature, topK, 1.0, false, seed);
    }

    /** A seeded draw over the top k tokens (0 = all) and the nucleus of probability {@code topP}. */
    public static Sampling sample(double temperature, int topK, double topP, long seed) {
        return new Sampling(temperature, topK, topP, false, seed);
    }

    /** A new picker: one per generated sequence (it carries the random generator). */
    public Picker picker() {
        return new Picker(this, new Random(seed));
    }

    /** Picks tokens from logits; stateful (seeded draws). */
    public static final class Picker {
        private final Sampling s;
        private final Random random;

        private Picker(Sampling s, Random random) {
            this.s = s;
            this.random = random;
        }

        /**
         * The next token.
         *
         * @param logits one value per token of the vocabulary, finite
         * @throws IllegalArgumentException for an empty or non-finite row
         */
        public int pick(float[] logits) {
            Checks.require(logits != null && logits.length > 0, "logits", "one value per token", logits == null
                    ? "null" : "an empty array");
            if (s.greedy) {
                int best = 0;
                for (int i = 1; i < logits.length; i++) {
                    if (logits[i] > logits[best]) {
                        best = i;
                    }
                }
                return best;
            }
            double[] w = probabilities(logits);
            double u = random.nextDouble();
            for (int i = 0; i < w.length; i++) {
                u -= w[i];
                if (u < 0 && w[i] > 0) {
                    return i;
                }
            }
            for (int i = w.length - 1; i >= 0; i--) {
                if (w[i] > 0) {
                    return i;
                }
            }
            return 0;
        }

        /** The distribution draws come from: softmax(logits / T), cut to top-k and top-p, renormalised. */
        public double[] probabilities(float[] logits) {
            double max = Double.NEGATIVE_INFINITY;
            for (float l : logits) {
                Checks.require(Float.isFinite(l), "logits", "finite values", l);
                max = Math.max(max, l);
            }
            double threshold = Double.NEGATIVE_INFINITY;
            if (s.topK > 0 && s.topK < logits.length) {
                float[] sorted = logits.clone();
                Arrays.sort(sorted);
                threshold = sorted[sorted.length - s.topK];
            }
            double[] w = new double[logits.length];
            double total = 0;
            for (int i = 0; i < logits.length; i++) {
                if (logits[i] >= threshold) {
                    w[i] = Math.exp((logits[i] - max) / s.temperature);
                    total += w[i];
                }
            }
            for (int i = 0; i < w.length; i++) {
                w[i] /= total;
            }
            if (s.topP < 1) {
                Integer[] order = new Integer[w.length];
                for (int i = 0; i < order.length; i++) {
                    order[i] = i;
                }
                Arrays.sort(order, (a, b) -> Double.compare(w[b], w[a]));
                double mass = 0;
                double kept = 0;
                boolean full = false;
                for (int i : order) {
                    if (full) {
                        w[i] = 0;
                    } else {
                        mass += w[i];
                        kept += w[i];
                        full = mass >= s.topP;
                    }
                }
                for (int i = 0; i < w.length; i++) {
                    w[i] /= kept;
                }
            }
            return w;
        }
    }
}
