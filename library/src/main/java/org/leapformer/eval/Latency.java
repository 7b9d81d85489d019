package org.leapformer.eval;

import java.util.List;

/**
 * Latency of simultaneous translation.
 *
 * <p>Average Lagging (Ma et al. 2019, STACL), as SimulEval's AL scorer computes it for text: with
 * d_i the number of source words read when target word i was written (1-based), |x| the source
 * length, γ = |y| / |x| and τ the first i with d_i = |x| (the last word when none),
 * <pre>
 *   AL = (1/τ) Σ_{i=1..τ} (d_i − (i − 1)/γ)
 * </pre>
 * |y| is the reference's length when there is a reference (SimulEval's default) and the output's
 * length when there is none (SimulEval's fallback). The command line's evaluation and
 * {@code translate --reference} use the reference; {@code translate} without one uses the output
 * and says so. An ideal wait-k policy on |x| = |y| scores exactly k.
 *
 * <p>An empty output has no AL: {@link #averageLagging} returns NaN for it, and {@link #mean}, the
 * corpus AL, leaves such sentences out, as SimulEval does.
 */
public final class Latency {

    private Latency() {}

    /**
     * The Average Lagging of one sentence.
     *
     * @param delays d_1 .. d_|output|, non-decreasing, each in 0..|x|
     * @param sourceLength |x|, at least 1
     * @param targetLength |y| for γ: the reference's length, or the output's when there is no
     *     reference; at least 1 unless the output is empty
     * @return AL in source words; NaN (undefined) when the output is empty
     */
    public static double averageLagging(long[] delays, int sourceLength, int targetLength) {
        if (sourceLength < 1) {
            throw new IllegalArgumentException("source length: expected at least 1 word, found " + sourceLength);
        }
        if (delays.length == 0) {
            return Double.NaN;
        }
        if (targetLength < 1) {
            throw new IllegalArgumentException("target length for γ: expected at least 1 word, found " + targetLength);
        }
        double gamma = (double) targetLength / sourceLength;
        double sum = 0;
        int tau = 0;
        for (int i = 0; i < delays.length; i++) {
            long d = delays[i];
            if (d < 0 || d > sourceLength || (i > 0 && d < delays[i - 1])) {
                throw new IllegalArgumentException("delays: expected non-decreasing values in 0.." + sourceLength
                        + ", found " + d + " at word " + (i + 1));
            }
            sum += d - i / gamma;
            tau = i + 1;
            if (d == sourceLength) {
                break;
            }
        }
        return sum / tau;
    }

    /**
     * The corpus Average Lagging as SimulEval reports it: the mean of the sentences' AL, leaving
     * out the sentences with an empty output (NaN).
     *
     * @return the mean, or NaN when every output is empty
     * @param perSentence the sentences' AL values, NaN for an empty output
     */
    public static double mean(List<Double> perSentence) {
        double sum = 0;
        int n = 0;
        for (double al : perSentence) {
            if (!Double.isNaN(al)) {
                sum += al;
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /**
     * The delays of an ideal wait-k policy: d_i = min(k + i − 1, |x|) for i = 1..|y|.
     *
     * @param k the policy's k
     * @param sourceLength |x|, the source length
     * @param targetLength |y|, the target length
     * @return d_1..d_|y|
     */
    public static long[] waitK(long k, int sourceLength, int targetLength) {
        if (k < 1) {
            throw new IllegalArgumentException("wait-k lag: expected k >= 1, found " + k);
        }
        long[] d = new long[targetLength];
        for (int i = 0; i < targetLength; i++) {
            d[i] = Math.min(k + i, (long) sourceLength);
        }
        return d;
    }
}
