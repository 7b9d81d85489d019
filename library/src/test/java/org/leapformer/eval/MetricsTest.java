package org.leapformer.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * BLEU against sacreBLEU's definition (corpus BLEU, tokenize=none, no smoothing) on values worked by
 * hand, Average Lagging against SimulEval's definition worked by hand.
 */
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
    void corpusBleuOnPapinenisExamples() {
        // the values of NLTK's docstrings; every hypothesis has at least 4 tokens and a match at every order, where
        // NLTK's corpus_bleu and sacreBLEU agree (also checked against an independent implementation of sacreBLEU's
        // definition: 59.207788688010424 and 50.456668400584846)
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
    void aHypothesisShorterThanNHasNoNgramsOfOrderN() {
        // [a b] has 0 trigrams and 0 4-grams: matches/totals 6/6, 4/4, 2/2, 1/1 -> 100.
        // NLTK counts max(1, 0) for each: p_3 = 2/3, p_4 = 1/2, 100 (1/3)^(1/4) = 75.98
        Bleu.Score s = Bleu.corpus(List.of(w("a b"), w("c d e f")), List.of(w("a b"), w("c d e f")));
        assertEquals(100.0, s.score(), 1e-12);
        assertArrayEquals(new double[] {1, 1, 1, 1}, s.precisions(), 0.0);
        // [x y] against [x z]: 6/7, 4/5, 3/3, 2/2, c = r = 7: 100 (24/35)^(1/4) = 90.998828...
        // (NLTK: 3/4 and 2/3 at orders 3 and 4, 76.52)
        Bleu.Score t = Bleu.corpus(List.of(w("a b c d e"), w("x y")), List.of(w("a b c d e"), w("x z")));
        assertArrayEquals(new double[] {6.0 / 7, 4.0 / 5, 1, 1}, t.precisions(), 1e-15);
        assertEquals(100 * Math.pow(24.0 / 35, 0.25), t.score(), 1e-10);
        assertEquals(90.99882808096075, t.score(), 1e-10);
        // every hypothesis shorter than 4: no 4-gram at all, BLEU 0 (sacreBLEU: precision 0 for that order)
        Bleu.Score three = Bleu.corpus(List.of(w("a b c")), List.of(w("a b c")));
        assertEquals(0.0, three.score(), 0.0);
        assertArrayEquals(new double[] {1, 1, 1, 0}, three.precisions(), 0.0);
    }

    @Test
    void emptyHypotheses() {
        // an empty hypothesis adds nothing to c or the n-gram counts but its reference's length to r:
        // c = 5, r = 2 + 5 = 7, all precisions 1, BP = exp(1 - 7/5): 67.032...
        Bleu.Score s = Bleu.corpus(List.of(List.of(), w("a b c d e")), List.of(w("x y"), w("a b c d e")));
        assertEquals(5, s.hypothesisLength());
        assertEquals(7, s.referenceLength());
        assertEquals(Math.exp(-0.4), s.brevityPenalty(), 1e-15);
        assertEquals(100 * Math.exp(-0.4), s.score(), 1e-10);
        // c = 0: BP 0 and BLEU 0, whatever the references
        Bleu.Score none = Bleu.corpus(List.of(List.of(), List.of()), List.of(w("a b"), w("c")));
        assertEquals(0.0, none.score(), 0.0);
        assertEquals(0.0, none.brevityPenalty(), 0.0);
        assertArrayEquals(new double[4], none.precisions(), 0.0);
    }

    @Test
    void noMatchAtOneOrderGivesZero() {
        // [a b c x d e f y] against [a b c z d e f w]: 6/8, 4/7, 2/6 and no 4-gram match, BLEU 0 (no smoothing)
        Bleu.Score s = Bleu.corpus(List.of(w("a b c x d e f y")), List.of(w("a b c z d e f w")));
        assertArrayEquals(new double[] {6.0 / 8, 4.0 / 7, 2.0 / 6, 0}, s.precisions(), 1e-15);
        assertEquals(1.0, s.brevityPenalty(), 0.0);
        assertEquals(0.0, s.score(), 0.0);
    }

    @Test
    void brevityPenaltyUsesTheClosestReferenceTheShorterOnATie() {
        // c = 4; references of 5 and 7 words: r = 5, BP = exp(1 - 5/4); every n-gram matches the first
        Bleu.Score s = Bleu.corpusMulti(List.of(w("a b c d")), List.of(List.of(w("a b c d e"), w("a b c d e f g"))));
        assertEquals(5, s.referenceLength());
        assertEquals(100 * Math.exp(-0.25), s.score(), 1e-10);
        // references of 3 and 5 words are both 1 away: r = 3 (the shorter), c >= r, BP 1; n-grams clip against
        // the most counts in any reference, so all of [a b c d] match
        Bleu.Score tie = Bleu.corpusMulti(List.of(w("a b c d")), List.of(List.of(w("a b c d e"), w("a b c"))));
        assertEquals(3, tie.referenceLength());
        assertEquals(1.0, tie.brevityPenalty(), 0.0);
        assertEquals(100.0, tie.score(), 1e-12);
        // BP is corpus-level: c = 3 + 5 = 8 against r = 4 + 5 = 9
        Bleu.Score corpus = Bleu.corpus(List.of(w("a b c"), w("d e f g h")), List.of(w("a b c x"), w("d e f g h")));
        assertEquals(Math.exp(1 - 9.0 / 8), corpus.brevityPenalty(), 1e-15);
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
        // γ from a reference of 4 words instead of the 2 written: γ = 1, AL = ((2 - 0) + (4 - 1)) / 2 = 2.5
        assertEquals(2.5, Latency.averageLagging(new long[] {2, 4}, 4, 4), 1e-12);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Latency.averageLagging(new long[] {3, 2}, 4, 2));
        assertEquals("delays: expected non-decreasing values in 0..4, found 2 at word 2", e.getMessage());
    }

    @Test
    void anEmptyOutputHasNoAverageLaggingAndTheCorpusMeanLeavesItOut() {
        // translate without a reference takes |y| from the output: 0 words (the model wrote the end token first)
        assertTrue(Double.isNaN(Latency.averageLagging(new long[0], 6, 0)));
        assertTrue(Double.isNaN(Latency.averageLagging(new long[0], 4, 2)));
        // SimulEval's corpus AL: the mean over sentences with an output
        assertEquals(2.5, Latency.mean(List.of(2.0, Double.NaN, 3.0)), 1e-12);
        assertTrue(Double.isNaN(Latency.mean(List.of(Double.NaN))));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Latency.averageLagging(new long[] {1}, 4, 0));
        assertEquals("target length for γ: expected at least 1 word, found 0", e.getMessage());
    }
}
