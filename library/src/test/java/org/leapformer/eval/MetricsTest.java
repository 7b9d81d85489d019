package org.leapformer.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** BLEU against NLTK's documented examples and Papineni's, Average Lagging against hand computations. */
class MetricsTest {

    private static List<String> w(String s) {
        return List.of(s.split(" "));
    }

    // nltk.translate.bleu_score docstrings (corpus_bleu, sentence_bleu), from Papineni et al. 2002
    private static final List<String> HYP1 = w("It is a guide to action which ensures that the military always obeys "
            + "the commands of the party");
    private static final List<String> REF1A = w("It is a guide to action that ensures that the military will forever "
            + "heed Party commands");
    private static final List<String> REF1B = w("It is the guiding principle which guarantees the military forces "
            + "always being under the command of the Party");
    private static final List<String> REF1C = w("It is the practical guide for the army always to heed the directions "
            + "of the party");
    private static final List<String> HYP2 = w("he read the book because he was interested in world history");
    private static final List<String> REF2A = w("he was interested in world history because he read the book");

    @Test
    void corpusBleuMatchesNltksDocumentedExamples() {
        // corpus_bleu([[ref1a, ref1b, ref1c], [ref2a]], [hyp1, hyp2]) = 0.5920778868801042
        Bleu.Score s = Bleu.corpusMulti(List.of(HYP1, HYP2), List.of(List.of(REF1A, REF1B, REF1C), List.of(REF2A)));
        assertEquals(59.20778868801042, s.score(), 1e-9);
        // sentence_bleu([ref1a, ref1b, ref1c], hyp1) = 0.5045666840058485
        assertEquals(50.45666840058485, Bleu.corpusMulti(List.of(HYP1), List.of(List.of(REF1A, REF1B, REF1C))).score(),
                1e-9);
    }

    @Test
    void modifiedPrecisionClipsRepeatedWords() {
        // Papineni et al. 2002, section 2.1: "the the the the the the the" has modified unigram precision 2/7
        Bleu.Score s = Bleu.corpusMulti(List.of(w("the the the the the the the")),
                List.of(List.of(w("the cat is on the mat"), w("there is a cat on the mat")))); // lower-cased, as in the paper's count
        assertEquals(2.0 / 7, s.precisions()[0], 1e-12);
        assertEquals(0.0, s.score(), 0.0, "no bigram matches: BLEU 0 without smoothing");
    }

    @Test
    void edgeCases() {
        List<String> ref = w("a b c d e f");
        assertEquals(100.0, Bleu.corpus(List.of(ref), List.of(ref)).score(), 1e-12);
        assertEquals(0.0, Bleu.corpus(List.of(List.of()), List.of(ref)).score(), 0.0);
        // brevity: c = 4 < r = 6 gives BP = exp(1 − 6/4)
        Bleu.Score shortHyp = Bleu.corpus(List.of(w("a b c d")), List.of(ref));
        assertEquals(Math.exp(1 - 6.0 / 4), shortHyp.brevityPenalty(), 1e-12);
        assertEquals(100 * Math.exp(1 - 6.0 / 4), shortHyp.score(), 1e-9);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Bleu.corpus(List.of(ref), List.of()));
        assertEquals("references: expected one entry per hypothesis (1), found 0", e.getMessage());
        assertEquals(0.5, Metrics.exactMatch(List.of(ref, w("x")), List.of(ref, w("y"))), 0.0);
    }

    @Test
    void averageLaggingOfWaitKIsK() {
        // |x| = |y| = 10, wait-3: d = 3,4,...,10,10,10; τ = 8 (d_8 = 10), each term d_i − (i − 1) = 3
        long[] d = Latency.waitK(3, 10, 10);
        assertArrayEquals(new long[] {3, 4, 5, 6, 7, 8, 9, 10, 10, 10}, d);
        assertEquals(3.0, Latency.averageLagging(d, 10, 10), 1e-12);
        // reading everything first: AL = |x|
        assertEquals(10.0, Latency.averageLagging(Latency.waitK(10, 10, 10), 10, 10), 1e-12);
        assertEquals(10.0, Latency.averageLagging(Latency.waitK(50, 10, 12), 10, 12), 1e-12);
        // by hand: |x| = 4, |y| = 2, γ = 1/2: d = (2, 4): τ = 2, AL = ((2 − 0) + (4 − 1·2)) / 2 = 2
        assertEquals(2.0, Latency.averageLagging(new long[] {2, 4}, 4, 2), 1e-12);
        assertEquals(4.0, Latency.averageLagging(new long[0], 4, 2), 0.0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Latency.averageLagging(new long[] {3, 2}, 4, 2));
        assertEquals("delays: expected non-decreasing values in 0..4, found 2 at word 2", e.getMessage());
    }
}
