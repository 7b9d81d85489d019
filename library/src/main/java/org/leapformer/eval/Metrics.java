package org.leapformer.eval;

import java.util.List;

/** Small corpus metrics. */
public final class Metrics {

    private Metrics() {}

    /**
     * The fraction of hypotheses equal to their reference, word for word.
     *
     * @throws IllegalArgumentException when the lists differ in size or are empty
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
