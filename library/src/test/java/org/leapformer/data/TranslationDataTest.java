package org.leapformer.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The synthetic language pair and the parallel-text reader. */
class TranslationDataTest {

    @Test
    void theSyntheticPairPutsTheVerbLastAndTheAdjectivesAfterTheirNoun() {
        List<TranslationPair> a = SyntheticTranslation.builder().optSeed(3).build().generate(200);
        assertEquals(a, SyntheticTranslation.builder().optSeed(3).build().generate(200), "deterministic for a seed");
        assertNotEquals(a, SyntheticTranslation.builder().optSeed(4).build().generate(200));
        for (TranslationPair p : a) {
            List<String> s = p.source();
            List<String> t = p.target();
            assertTrue(s.size() >= 5 && s.size() <= 14, "the documented 5..14 words: " + p);
            assertTrue(t.contains("ga") && t.contains("o"), p.toString());
            assertTrue(t.get(t.size() - 1).endsWith("ru"), "the verb comes last: " + p);
            assertTrue(!t.contains("the") && !t.contains("a"), "no articles: " + p);
        }
        TranslationPair one = SyntheticTranslation.builder().optSeed(1).optMaxAdjectives(2).optPrepositionalRate(0)
                .build().generate(50).stream().filter(p -> p.source().size() == 7).findFirst().orElseThrow();
        // DET ADJ NOUN VERB DET ADJ NOUN? or other splits: the subject noun's translation opens the target
        assertEquals(one.target().indexOf("ga") + 1 + one.target().subList(one.target().indexOf("ga") + 1,
                one.target().size()).indexOf("o") + 2, one.target().size(), "subject ga object o verb: " + one);
        assertThrows(IllegalArgumentException.class, () -> SyntheticTranslation.builder().optVocabulary(0, 1, 1, 1));
    }

    /** The pairs of the one-phrase grammar, printed from the generator before it had optMaxPhrases. */
    @Test
    void oneOrNoPhraseGivesThePairsOfTheOnePhraseGrammar() {
        List<TranslationPair> p = SyntheticTranslation.builder().optSeed(42).build().generate(500);
        assertEquals(List.of(
                "the lamp finds the happy city => mune ga rako kate o rinikiru",
                "the river finds the big quiet boy => chishi ga niri shichi rimi o rinikiru",
                "the tree watches a clever stone near the happy brave river => sami ga rino tohihe o chishi miko kate "
                        + "sumode sashiru",
                "a tree likes a small brave girl => sami ga rera miko nokumo o sesumiru"),
                p.subList(0, 4).stream().map(TranslationPair::toString).toList());
        assertEquals(1145015952, text(p).hashCode(), "the 500 pairs of seed 42");
        assertEquals(p, SyntheticTranslation.builder().optSeed(42).optMaxPhrases(1).build().generate(500));
        List<TranslationPair> q = SyntheticTranslation.builder().optSeed(7).optVocabulary(32, 16, 16, 6)
                .optMaxAdjectives(4).optPrepositionalRate(1).optMaxPhrases(1).build().generate(500);
        assertEquals("a cat builds the gentle brave brave tall tree near a small clever baker => niki ga kumo riso "
                + "mireto mireto nechi o nite heku nasu mohode hitsutaru", q.get(0).toString());
        assertEquals(-1598762236, text(q).hashCode(), "the 500 pairs of seed 7, whole vocabulary, a phrase in each");
        // no phrases: the sentences of a zero share (the share is still drawn)
        assertEquals(SyntheticTranslation.builder().optSeed(5).optPrepositionalRate(0).build().generate(200),
                SyntheticTranslation.builder().optSeed(5).optMaxPhrases(0).build().generate(200));
    }

    private static String text(List<TranslationPair> pairs) {
        StringBuilder s = new StringBuilder();
        pairs.forEach(p -> s.append(p).append('\n'));
        return s.toString();
    }

    @Test
    void theHardPairHasSeveralPhrasesAndPutsThemBeforeTheVerbInReverse() {
        Set<String> prepositions = Set.of("in", "near", "under", "behind", "beside", "across");
        List<TranslationPair> pairs = SyntheticTranslation.hard().optSeed(11).build().generate(2000);
        assertEquals(pairs, SyntheticTranslation.hard().optSeed(11).build().generate(2000));
        Map<String, String> dictionary = new HashMap<>(); // source word -> target word, never two
        int[] byCount = new int[SyntheticTranslation.MAX_PHRASES + 1];
        for (TranslationPair p : pairs) {
            List<String> s = p.source();
            List<String> t = p.target();
            assertTrue(s.size() >= 5 && s.size() <= 34, "the documented 5..34 words: " + p);
            // the source's phrases: PREP DET ADJ* NOUN, up to the next preposition
            List<Integer> starts = new ArrayList<>();
            for (int i = 0; i < s.size(); i++) {
                if (prepositions.contains(s.get(i))) {
                    starts.add(i);
                }
            }
            byCount[starts.size()]++;
            assertTrue(starts.size() <= 3, "at most 3 phrases: " + p);
            // the target's: between "o" and the verb, each NOUN' ADJ'* POSTP (only postpositions end in "de")
            int o = t.indexOf("o");
            List<List<String>> places = new ArrayList<>();
            List<String> current = new ArrayList<>();
            for (String w : t.subList(o + 1, t.size() - 1)) {
                current.add(w);
                if (w.endsWith("de")) {
                    places.add(current);
                    current = new ArrayList<>();
                }
            }
            assertTrue(current.isEmpty(), "every phrase ends in a postposition: " + p);
            assertEquals(starts.size(), places.size(), p.toString());
            for (int j = 0; j < starts.size(); j++) {
                int end = j + 1 < starts.size() ? starts.get(j + 1) : s.size();
                List<String> phrase = s.subList(starts.get(j), end);
                List<String> place = places.get(places.size() - 1 - j); // the last phrase first
                assertEquals(phrase.size() - 1, place.size(), "phrase " + j + " of " + p);
                translates(dictionary, phrase.get(0), place.get(place.size() - 1), p);
                translates(dictionary, phrase.get(phrase.size() - 1), place.get(0), p); // noun first
                for (int k = 0; k < phrase.size() - 3; k++) { // adjectives reversed
                    translates(dictionary, phrase.get(2 + k), place.get(place.size() - 2 - k), p);
                }
            }
        }
        // 20% without a phrase, and the rest uniform over 1..3
        assertTrue(byCount[0] > 300 && byCount[0] < 500, Arrays.toString(byCount));
        for (int n = 1; n <= 3; n++) {
            assertTrue(byCount[n] > 430 && byCount[n] < 640, Arrays.toString(byCount));
        }
    }

    private static void translates(Map<String, String> dictionary, String source, String target, TranslationPair p) {
        String before = dictionary.putIfAbsent(source, target);
        assertTrue(before == null || before.equals(target), source + " is " + before + " elsewhere but " + target
                + " in " + p);
    }

    @Test
    void theNumberOfPhrasesIsCheckedAndNamed() {
        for (int bad : new int[] {-1, SyntheticTranslation.MAX_PHRASES + 1}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SyntheticTranslation.builder().optMaxPhrases(bad));
            assertEquals("max phrases: expected 0..4 prepositional phrases per sentence, found " + bad,
                    e.getMessage());
        }
    }

    @Test
    void parallelTextReadsAlignedFilesAndNamesWhatIsWrong(@TempDir Path dir) throws Exception {
        Path s = dir.resolve("train.src");
        Path t = dir.resolve("train.tgt");
        Files.writeString(s, "the cat sleeps\n\na dog  barks loudly\n");
        Files.writeString(t, "neko nemuru\n\ninu hoeru\n");
        List<TranslationPair> pairs = ParallelText.read(s, t);
        assertEquals(2, pairs.size());
        assertEquals(List.of("a", "dog", "barks", "loudly"), pairs.get(1).source());

        Files.writeString(t, "neko nemuru\n\ninu hoeru\nextra line");
        DataFileException longer = assertThrows(DataFileException.class, () -> ParallelText.read(s, t));
        assertEquals(t, longer.file());
        assertEquals(4, longer.line());

        Files.writeString(t, "neko nemuru\nsomething\ninu hoeru\n");
        DataFileException empty = assertThrows(DataFileException.class, () -> ParallelText.read(s, t));
        assertEquals(s, empty.file());
        assertEquals(2, empty.line());
        assertTrue(empty.getMessage().contains("an empty line"), empty.getMessage());

        Files.writeString(t, "neko nemuru\n\ninu hoeru\n");
        DataFileException tooLong = assertThrows(DataFileException.class, () -> ParallelText.read(s, t, 3));
        assertEquals(3, tooLong.line());
        assertTrue(tooLong.getMessage().contains("at most 3 words"), tooLong.getMessage());

        Files.write(t, new byte[] {'o', 'k', '\n', '\n', (byte) 0xE9, '\n'});
        DataFileException utf8 = assertThrows(DataFileException.class, () -> ParallelText.read(s, t));
        assertEquals(t, utf8.file());
    }
}
