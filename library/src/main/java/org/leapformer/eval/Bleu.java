package org.leapformer.eval;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Corpus BLEU (Papineni et al. 2002) on tokenised text. It equals sacreBLEU's corpus BLEU with
 * {@code tokenize="none"} and {@code smooth_method="none"} (sacreBLEU's default smoothing is
 * {@code "exp"}) on the same tokens joined by single spaces.
 *
 * <p>For n = 1..4, the hypothesis n-grams and their clipped matches (each n-gram counted at most
 * as often as in the reference holding it most often) are summed over the corpus, giving
 * p_n = matches_n / total_n. BLEU = 100 · BP · (p_1 p_2 p_3 p_4)^(1/4), with BP = exp(1 − r/c)
 * when c &lt; r and 1 otherwise; c is the hypotheses' total length and r the sum, over sentences, of
 * the reference length closest to the hypothesis's (the shorter on a tie). The score is 0 when some
 * order has no match, or no n-gram at all (every hypothesis shorter than n), and when c = 0.
 *
 * <p>NLTK's {@code corpus_bleu} differs when a hypothesis has fewer than n tokens: it counts
 * max(1, ·) n-grams of order n for each hypothesis, so each such hypothesis adds 1 to the
 * denominator of p_n. Hypotheses [a b] and [c d e f] against identical references score 100 here
 * and 100 · (1 · 1 · 2/3 · 1/2)^(1/4) ≈ 75.98 in NLTK. With every hypothesis at least 4 tokens
 * long and a match at every order, the two agree.
 */
public final class Bleu {

    /** The highest n-gram order. */
    public static final int MAX_ORDER = 4;

    private Bleu() {}

    /**
     * A corpus score.
     *
     * @param score BLEU × 100
     * @param precisions the modified n-gram precisions p_1 .. p_4 (0 for an order with no n-gram)
     * @param brevityPenalty exp(1 − r/c) or 1
     * @param hypothesisLength c
     * @param referenceLength r
     */
    public record Score(double score, double[] precisions, double brevityPenalty, long hypothesisLength,
            long referenceLength) {
        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "BLEU %.2f (p = %.3f/%.3f/%.3f/%.3f, BP %.3f, c %d, r %d)",
                    score, precisions[0], precisions[1], precisions[2], precisions[3], brevityPenalty,
                    hypothesisLength, referenceLength);
        }
    }

    /**
     * Corpus BLEU with one reference per hypothesis.
     *
     * @param hypotheses the hypotheses, each a list of tokens
     * @param references one reference per hypothesis, in the same order
     * @return the score, its n-gram precisions, brevity penalty and lengths
     */
    public static Score corpus(List<List<String>> hypotheses, List<List<String>> references) {
        List<List<List<String>>> refs = new ArrayList<>();
        for (List<String> r : references) {
            refs.add(List.of(r));
        }
        checkSizes(hypotheses.size(), references.size());
        return corpusMulti(hypotheses, refs);
    }

    /**
     * Corpus BLEU with one or more references per hypothesis.
     *
     * @param hypotheses the hypotheses, each a list of tokens
     * @param references the references of each hypothesis, in the same order
     * @return the score, its n-gram precisions, brevity penalty and lengths
     */
    public static Score corpusMulti(List<List<String>> hypotheses, List<List<List<String>>> references) {
        checkSizes(hypotheses.size(), references.size());
        long[] matches = new long[MAX_ORDER];
        long[] totals = new long[MAX_ORDER];
        long c = 0;
        long r = 0;
        for (int i = 0; i < hypotheses.size(); i++) {
            List<String> hyp = hypotheses.get(i);
            List<List<String>> refs = references.get(i);
            if (refs.isEmpty()) {
                throw new IllegalArgumentException("references of sentence " + i + ": expected at least one, found none");
            }
            c += hyp.size();
            r += closestLength(refs, hyp.size());
            for (int n = 1; n <= MAX_ORDER; n++) {
                Map<List<String>, Integer> counts = ngrams(hyp, n);
                Map<List<String>, Integer> maxRef = new HashMap<>();
                for (List<String> ref : refs) {
                    ngrams(ref, n).forEach((g, k) -> maxRef.merge(g, k, Math::max));
                }
                for (Map.Entry<List<String>, Integer> e : counts.entrySet()) {
                    matches[n - 1] += Math.min(e.getValue(), maxRef.getOrDefault(e.getKey(), 0));
                }
                totals[n - 1] += Math.max(0, hyp.size() - n + 1);
            }
        }
        double[] p = new double[MAX_ORDER];
        double logSum = 0;
        boolean zero = false;
        for (int n = 0; n < MAX_ORDER; n++) {
            p[n] = totals[n] == 0 ? 0 : (double) matches[n] / totals[n];
            if (matches[n] == 0) {
                zero = true;
            } else {
                logSum += Math.log(p[n]) / MAX_ORDER;
            }
        }
        double bp = c == 0 ? 0 : c < r ? Math.exp(1 - (double) r / c) : 1;
        double score = zero ? 0 : 100 * bp * Math.exp(logSum);
        return new Score(score, p, bp, c, r);
    }

    private static int closestLength(List<List<String>> refs, int length) {
        int best = refs.get(0).size();
        for (List<String> ref : refs) {
            int d = Math.abs(ref.size() - length);
            int bd = Math.abs(best - length);
            if (d < bd || (d == bd && ref.size() < best)) {
                best = ref.size();
            }
        }
        return best;
    }

    private static Map<List<String>, Integer> ngrams(List<String> words, int n) {
        Map<List<String>, Integer> out = new HashMap<>();
        for (int i = 0; i + n <= words.size(); i++) {
            out.merge(words.subList(i, i + n), 1, Integer::sum);
        }
        return out;
    }

    static void checkSizes(int hypotheses, int references) {
        if (hypotheses != references) {
            throw new IllegalArgumentException("references: expected one entry per hypothesis (" + hypotheses + "), found "
                    + references);
        }
        if (hypotheses == 0) {
            throw new IllegalArgumentException("hypotheses: expected at least one sentence, found none");
        }
    }
}
