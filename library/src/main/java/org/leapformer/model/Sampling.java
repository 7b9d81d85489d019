package org.leapformer.model;

import java.util.Arrays;
import java.util.Random;
import org.leapformer.ops.Checks;

/**
 * How {@link DecoderLM#generate} picks the next token from logits: greedy (argmax), or a draw
 * from softmax(logits / temperature) restricted to the top k, seeded.
 *
 * @param temperature > 0; ignored when greedy
 * @param topK keep the k most likely tokens (0 = all); ignored when greedy
 * @param greedy take the argmax
 * @param seed seed of the draws
 */
public record Sampling(double temperature, int topK, boolean greedy, long seed) {

    public Sampling {
        Checks.require(Double.isFinite(temperature) && temperature > 0, "temperature", "a finite number > 0",
                temperature);
        Checks.require(topK >= 0, "top-k", "0 (all tokens) or a positive k", topK);
    }

    /** Always the most likely token. */
    public static Sampling greedyDecoding() {
        return new Sampling(1.0, 0, true, 0);
    }

    /** A seeded draw from softmax(logits / temperature) over the top k tokens (0 = all). */
    public static Sampling sample(double temperature, int topK, long seed) {
        return new Sampling(temperature, topK, false, seed);
    }

    /** A generator for one generation. */
    Picker picker() {
        return new Picker(this, new Random(seed));
    }

    /** Stateful picker: one per generated sequence. */
    static final class Picker {
        private final Sampling s;
        private final Random random;

        private Picker(Sampling s, Random random) {
            this.s = s;
            this.random = random;
        }

        int pick(float[] logits) {
            if (s.greedy) {
                int best = 0;
                for (int i = 1; i < logits.length; i++) {
                    if (logits[i] > logits[best]) {
                        best = i;
                    }
                }
                return best;
            }
            double threshold = Double.NEGATIVE_INFINITY;
            if (s.topK > 0 && s.topK < logits.length) {
                float[] sorted = logits.clone();
                Arrays.sort(sorted);
                threshold = sorted[sorted.length - s.topK];
            }
            double max = Double.NEGATIVE_INFINITY;
            for (float l : logits) {
                max = Math.max(max, l);
            }
            double[] w = new double[logits.length];
            double total = 0;
            for (int i = 0; i < logits.length; i++) {
                if (logits[i] >= threshold) {
                    w[i] = Math.exp((logits[i] - max) / s.temperature);
                    total += w[i];
                }
            }
            double u = random.nextDouble() * total;
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
    }
}
