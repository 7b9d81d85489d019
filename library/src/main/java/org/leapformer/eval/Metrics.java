package org.leapformer.eval;

import java.util.List;

/** Small corpus metrics. */
public final class Metrics {

    private Metrics() {}

    /**
     * The fraction of hypotheses equal to their reference, word for word.
     *
     * @throws IllegalArgumentException when the lists differ in size or are empty
     * @param hypotheses the hypotheses, each a list of tokens
     * @param references one reference per hypothesis, in the same order
     * @return the fraction in [0, 1]
     */
    public static double exactMatch(List<List<String>> hypotheses, List<List<String>> references) {
        Bleu.checkSizes(hypotheses.size(), references.size());
        int same = 0;
        for (int i = 0; i < hypotheses.size(); i++) {
            if (hypotheses.get(i).equals(references.get(i))) {
                same++;
            }
        }
        return (double) same / hypotheses.size();
    }
}
