package org.leapformer.eval;

/**
 * Latency of simultaneous translation.
 *
 * <p>Average Lagging (Ma et al. 2019, STACL), as SimulEval computes it for text: with d_i the
 * number of source words read when target word i was written (1-based), |x| the source length
 * and |y| the target length, γ = |y| / |x| and τ the first i with d_i = |x| (the last word when
 * none),
 * <pre>
 *   AL = (1/τ) Σ_{i=1..τ} (d_i − (i − 1)/γ)
 * </pre>
 * SimulEval takes |y| from the reference by default; pass the reference length to compare with
 * its figures. An ideal wait-k policy on |x| = |y| scores exactly k.
 */
public final class Latency {

    private Latency() {}

    /**
     * @param delays d_1 .. d_|hyp|, non-decreasing, each in 1..|x|
     * @param sourceLength |x|, at least 1
     * @param targetLength |y| for γ (the reference's length in SimulEval), at least 1
     * @return AL in source words; |x| when nothing was written
     */
    public static double averageLagging(long[] delays, int sourceLength, int targetLength) {
        if (sourceLength < 1 || targetLength < 1) {
            throw new IllegalArgumentException("lengths: expected a source and a target of at least 1 word, found "
                    + sourceLength + " and " + targetLength);
        }
        if (delays.length == 0) {
            return sourceLength;
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

    /** The delays of an ideal wait-k policy: d_i = min(k + i − 1, |x|) for i = 1..|y|. */
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
