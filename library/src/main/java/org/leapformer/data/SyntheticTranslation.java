package org.leapformer.data;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * A generated translation task whose word order differs between the languages, so that more
 * lookahead genuinely helps: the source is English-like (subject–verb–object, adjectives before
 * nouns, prepositions), the target Japanese-like (subject–object–verb: the verb comes last,
 * adjectives after their noun, case markers and postpositions, no articles). Each source word has
 * one invented target word (deterministic for the seed).
 *
 * <pre>
 *   sentence := NP_subj VERB NP_obj (PREP_1 NP_1) ... (PREP_n NP_n)
 *   NP       := DET ADJ{0..maxAdjectives} NOUN
 *   target   := NP'_subj "ga" NP'_obj "o" (NP'_n POSTP_n) ... (NP'_1 POSTP_1) VERB'
 *   NP'      := NOUN' ADJ'{reversed}
 *   n        := 0 with probability 1 - prepositionalRate, else uniform in 1..maxPhrases
 *
 *   the big red cat sees a dog in the house near a river
 *   => CAT RED BIG ga DOG o RIVER NEAR HOUSE IN SEES     (each capital word an invented target word)
 * </pre>
 *
 * The prepositional phrases come out in reverse order, the last one read first, just before the
 * verb. A wait-k policy must guess the verb before it has read it only if k is small: the verb is
 * the second source phrase but the target's last word, and the adjectives come out after their noun.
 *
 * <p>Two settings: {@link #builder()}'s defaults (24 nouns, 12 adjectives, 12 verbs, 4
 * prepositions, up to 2 adjectives, at most one phrase in half of the sentences) give sources of
 * 5–14 words, 9.0 on average; {@link #hard()} (the whole vocabulary, up to 4 adjectives, 1–3
 * phrases in 80% of the sentences) gives 5–34 words, 17.0 on average (measured over 100,000
 * pairs for each of three seeds).
 */
public final class SyntheticTranslation {

    private static final String[] SYLLABLES = {"ka", "ki", "ku", "ke", "ko", "sa", "shi", "su", "se", "so", "ta",
        "chi", "tsu", "te", "to", "na", "ni", "nu", "ne", "no", "ha", "hi", "fu", "he", "ho", "ma", "mi", "mu", "me",
        "mo", "ra", "ri", "ru", "re", "ro"};
    private static final String[] DETERMINERS = {"the", "a"};
    private static final String[] NOUNS = {"cat", "dog", "bird", "horse", "king", "queen", "girl", "boy", "farmer",
        "teacher", "house", "tree", "river", "garden", "city", "ship", "book", "letter", "apple", "stone", "lamp",
        "window", "bridge", "forest", "mountain", "village", "child", "doctor", "soldier", "baker", "wolf", "fox"};
    private static final String[] ADJECTIVES = {"big", "small", "red", "old", "young", "happy", "quiet", "dark",
        "green", "tall", "clever", "brave", "tired", "strange", "gentle", "cold"};
    private static final String[] VERBS = {"sees", "likes", "finds", "helps", "follows", "carries", "paints",
        "watches", "calls", "meets", "hides", "builds", "loves", "fears", "visits", "remembers"};
    private static final String[] PREPOSITIONS = {"in", "near", "under", "behind", "beside", "across"};
    /** The largest {@link Builder#optMaxPhrases(int)}. */
    public static final int MAX_PHRASES = 4;

    private final long seed;
    private final int nouns;
    private final int adjectives;
    private final int verbs;
    private final int prepositions;
    private final int maxAdjectives;
    private final double prepositionalRate;
    private final int maxPhrases;
    private final List<String> srcNouns = new ArrayList<>();
    private final List<String> srcAdjectives = new ArrayList<>();
    private final List<String> srcVerbs = new ArrayList<>();
    private final List<String> srcPrepositions = new ArrayList<>();
    private final List<String> tgtNouns = new ArrayList<>();
    private final List<String> tgtAdjectives = new ArrayList<>();
    private final List<String> tgtVerbs = new ArrayList<>();
    private final List<String> tgtPrepositions = new ArrayList<>();

    private SyntheticTranslation(Builder b) {
        seed = b.seed;
        nouns = b.nouns;
        adjectives = b.adjectives;
        verbs = b.verbs;
        prepositions = b.prepositions;
        maxAdjectives = b.maxAdjectives;
        prepositionalRate = b.prepositionalRate;
        maxPhrases = b.maxPhrases;
        Random lexicon = new Random(seed * 31 + 7);
        Set<String> used = new HashSet<>(List.of("ga", "o"));
        for (int i = 0; i < nouns; i++) {
            srcNouns.add(NOUNS[i]);
            tgtNouns.add(word(lexicon, used, 2));
        }
        for (int i = 0; i < adjectives; i++) {
            srcAdjectives.add(ADJECTIVES[i]);
            tgtAdjectives.add(word(lexicon, used, 3));
        }
        for (int i = 0; i < verbs; i++) {
            srcVerbs.add(VERBS[i]);
            tgtVerbs.add(word(lexicon, used, 3) + "ru");
        }
        for (int i = 0; i < prepositions; i++) {
            srcPrepositions.add(PREPOSITIONS[i]);
            tgtPrepositions.add(word(lexicon, used, 1) + "de");
        }
    }

    /** An invented word of 1..maxSyllables syllables, not used before. */
    private static String word(Random r, Set<String> used, int maxSyllables) {
        while (true) {
            StringBuilder w = new StringBuilder();
            int n = 1 + r.nextInt(maxSyllables);
            for (int i = 0; i < Math.max(2, n); i++) {
                w.append(SYLLABLES[r.nextInt(SYLLABLES.length)]);
            }
            if (used.add(w.toString())) {
                return w.toString();
            }
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The hard pair: the whole vocabulary (32 nouns, 16 adjectives, 16 verbs, 6 prepositions), up to
     * 4 adjectives per noun phrase and, in 80% of the sentences, 1 to 3 prepositional phrases, which
     * the target puts before its verb in reverse order. Sources have 5–34 words, 17.0 on
     * average (the defaults': 5–14, 9.0), so a model must reorder more and over longer spans.
     * Its seed and every size can still be changed on the builder.
     */
    public static Builder hard() {
        return new Builder().optVocabulary(NOUNS.length, ADJECTIVES.length, VERBS.length, PREPOSITIONS.length)
                .optMaxAdjectives(4).optMaxPhrases(3).optPrepositionalRate(0.8);
    }

    /** {@code n} pairs, the same for the same seed and sizes. */
    public List<TranslationPair> generate(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("pairs: expected a count >= 0, found " + n);
        }
        Random r = new Random(seed);
        List<TranslationPair> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            List<String> src = new ArrayList<>();
            List<String> tgt = new ArrayList<>();
            List<String> subject = new ArrayList<>();
            List<String> object = new ArrayList<>();
            int verb = r.nextInt(verbs);
            src.addAll(phrase(r, subject));
            src.add(srcVerbs.get(verb));
            src.addAll(phrase(r, object));
            // the share decides whether there are phrases at all; then 1..maxPhrases, uniform (with a
            // maximum of 1 no second number is drawn, so such pairs are those of the one-phrase grammar)
            int count = 0;
            if (r.nextDouble() < prepositionalRate && maxPhrases > 0) {
                count = maxPhrases == 1 ? 1 : 1 + r.nextInt(maxPhrases);
            }
            List<List<String>> places = new ArrayList<>();
            for (int j = 0; j < count; j++) {
                int prep = r.nextInt(prepositions);
                List<String> place = new ArrayList<>();
                src.add(srcPrepositions.get(prep));
                src.addAll(phrase(r, place));
                place.add(tgtPrepositions.get(prep));
                places.add(place);
            }
            tgt.addAll(subject);
            tgt.add("ga");
            tgt.addAll(object);
            tgt.add("o");
            for (int j = places.size() - 1; j >= 0; j--) { // the last source phrase comes first
                tgt.addAll(places.get(j));
            }
            tgt.add(tgtVerbs.get(verb));
            out.add(new TranslationPair(src, tgt));
        }
        return out;
    }

    /** A source noun phrase; its translation (noun, then the adjectives in reverse) goes to {@code target}. */
    private List<String> phrase(Random r, List<String> target) {
        List<String> src = new ArrayList<>();
        src.add(DETERMINERS[r.nextInt(DETERMINERS.length)]);
        int count = r.nextInt(maxAdjectives + 1);
        List<Integer> adj = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            adj.add(r.nextInt(adjectives));
        }
        int noun = r.nextInt(nouns);
        adj.forEach(a -> src.add(srcAdjectives.get(a)));
        src.add(srcNouns.get(noun));
        target.add(tgtNouns.get(noun));
        for (int i = adj.size() - 1; i >= 0; i--) {
            target.add(tgtAdjectives.get(adj.get(i)));
        }
        return src;
    }

    /** Sizes and seed; the defaults give sources of 5–14 words (9.0 on average). */
    public static final class Builder {
        private long seed = 42;
        private int nouns = 24;
        private int adjectives = 12;
        private int verbs = 12;
        private int prepositions = 4;
        private int maxAdjectives = 2;
        private double prepositionalRate = 0.5;
        private int maxPhrases = 1;

        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Words per class: nouns, adjectives, verbs, prepositions (each at least 1). */
        public Builder optVocabulary(int nouns, int adjectives, int verbs, int prepositions) {
            if (nouns < 1 || adjectives < 1 || verbs < 1 || prepositions < 1 || nouns > NOUNS.length
                    || adjectives > ADJECTIVES.length || verbs > VERBS.length || prepositions > PREPOSITIONS.length) {
                throw new IllegalArgumentException("vocabulary: expected 1.." + NOUNS.length + " nouns, 1.."
                        + ADJECTIVES.length + " adjectives, 1.." + VERBS.length + " verbs and 1.." + PREPOSITIONS.length
                        + " prepositions, found " + nouns
                        + " nouns, " + adjectives + " adjectives, " + verbs + " verbs, " + prepositions
                        + " prepositions");
            }
            this.nouns = nouns;
            this.adjectives = adjectives;
            this.verbs = verbs;
            this.prepositions = prepositions;
            return this;
        }

        /** At most this many adjectives per noun phrase (0..5). */
        public Builder optMaxAdjectives(int max) {
            if (max < 0 || max > 5) {
                throw new IllegalArgumentException("max adjectives: expected 0..5, found " + max);
            }
            this.maxAdjectives = max;
            return this;
        }

        /** The share of sentences with a prepositional phrase, in [0, 1]. */
        public Builder optPrepositionalRate(double rate) {
            if (!(rate >= 0 && rate <= 1)) {
                throw new IllegalArgumentException("prepositional rate: expected a share in [0, 1], found " + rate);
            }
            this.prepositionalRate = rate;
            return this;
        }

        /**
         * At most this many prepositional phrases per sentence (0..4): a sentence has phrases with
         * the probability {@link #optPrepositionalRate(double)}, and then between 1 and
         * {@code max} of them, uniformly. With 1 (the default) the pairs are those of the
         * one-phrase grammar; with 0 there are none.
         */
        public Builder optMaxPhrases(int max) {
            if (max < 0 || max > MAX_PHRASES) {
                throw new IllegalArgumentException("max phrases: expected 0.." + MAX_PHRASES
                        + " prepositional phrases per sentence, found " + max);
            }
            this.maxPhrases = max;
            return this;
        }

        public SyntheticTranslation build() {
            return new SyntheticTranslation(this);
        }
    }
}
