package org.leapformer.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
            assertTrue(s.size() >= 5 && s.size() <= 17, p.toString());
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
