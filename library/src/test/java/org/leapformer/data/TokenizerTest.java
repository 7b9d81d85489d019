package org.leapformer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Character and word tokenizers round-trip text; vocabularies are ordered, limited, saved and loaded. */
class TokenizerTest {

    @TempDir
    Path dir;

    @Test
    void characterEncodingThenDecodingGivesBackTheText() {
        String text = "It is a truth universally acknowledged,\n\tthat caf\u00e9s \ud83d\ude00 need \\ escapes.\n";
        CharTokenizer tok = CharTokenizer.builder().build(text);
        assertEquals(text, tok.decode(tok.encode(text)));
        assertEquals(text.codePointCount(0, text.length()), tok.encode(text).length);
        assertEquals(0, tok.vocabulary().id(Vocabulary.PAD));
        assertEquals(1, tok.vocabulary().id(Vocabulary.UNK));
    }

    @Test
    void unseenAndRareCharactersBecomeUnknown() {
        CharTokenizer tok = CharTokenizer.builder().optMinFrequency(2).build("aab");
        assertArrayEquals(new int[] {2, 1, 1}, tok.encode("abz"));
        assertEquals("a\uFFFD\uFFFD", tok.decode(tok.encode("abz")));
    }

    @Test
    void theMostFrequentTokensComeFirstAndTiesFollowTokenOrder() {
        Vocabulary v = Vocabulary.builder().optSpecials(List.of("<pad>")).optMaxSize(3)
                .build(Map.of("b", 5L, "a", 5L, "c", 9L, "d", 1L));
        assertEquals(List.of("<pad>", "c", "a"), v.tokens());
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> Vocabulary.builder().optSpecials(WordTokenizer.SPECIALS).optMaxSize(2).build(Map.of()));
        assertTrue(small.getMessage().startsWith("max vocabulary size: expected >= 3"), small.getMessage());
    }

    @Test
    void wordEncodingEndsEachLineWithEosAndDecodingRestoresNormalisedText() {
        String text = " = Robert Boulter = \n\n Robert Boulter is an English film @-@ actor . <unk> \n";
        WordTokenizer tok = WordTokenizer.builder().build(text);
        int[] ids = tok.encode(text);
        int eos = tok.eosId();
        assertEquals(3, java.util.Arrays.stream(ids).filter(id -> id == eos).count());
        assertEquals(tok.unkId(), ids[ids.length - 2]);
        String normalised = "= Robert Boulter =\n\nRobert Boulter is an English film @-@ actor . <unk>\n";
        assertEquals(normalised, tok.decode(ids));
        assertArrayEquals(ids, tok.encode(normalised));
    }

    @Test
    void wordsBelowTheMinimumFrequencyBecomeUnknown() {
        WordTokenizer tok = WordTokenizer.builder().optMinFrequency(2).build("the cat the dog\n");
        int[] ids = tok.encodeLine("the bird");
        assertEquals(List.of("the", Vocabulary.UNK, Vocabulary.EOS),
                List.of(tok.vocabulary().token(ids[0]), tok.vocabulary().token(ids[1]), tok.vocabulary().token(ids[2])));
    }

    @Test
    void aSavedVocabularyLoadsIdentically() throws IOException {
        CharTokenizer tok = CharTokenizer.builder().build("a\\b\nc\td\re\u00e9");
        Path f = dir.resolve("vocab").resolve("chars.vocab");
        tok.vocabulary().save(f);
        tok.vocabulary().save(f);
        Vocabulary loaded = Vocabulary.load(f);
        assertEquals(tok.vocabulary().tokens(), loaded.tokens());
        assertEquals("a\\b\nc", new CharTokenizer(loaded).decode(tok.encode("a\\b\nc")));
        try (var listing = Files.list(f.getParent())) {
            assertEquals(1, listing.count(), "no temporary file is left beside the saved one");
        }
    }

    @Test
    void malformedVocabularyFilesNameFileLineAndExpectation() throws IOException {
        Path f = dir.resolve("bad.vocab");
        Files.writeString(f, "tokens\n");
        DataFileException header = assertThrows(DataFileException.class, () -> Vocabulary.load(f));
        assertEquals(f + ":1: expected the header '" + Vocabulary.HEADER + "', found 'tokens'", header.getMessage());
        Files.writeString(f, Vocabulary.HEADER + "\n<pad>\na\n<pad>\n");
        DataFileException repeated = assertThrows(DataFileException.class, () -> Vocabulary.load(f));
        assertEquals(f + ":4: expected a token not already listed, found '<pad>', also on line 2",
                repeated.getMessage());
        Files.writeString(f, Vocabulary.HEADER + "\n<pad>\n\\x\n");
        DataFileException escape = assertThrows(DataFileException.class, () -> Vocabulary.load(f));
        assertTrue(escape.getMessage().startsWith(f + ":3: expected an escape"), escape.getMessage());
        Files.write(f, (Vocabulary.HEADER + "\n<pad>\n<un").getBytes(StandardCharsets.UTF_8));
        DataFileException truncated = assertThrows(DataFileException.class, () -> Vocabulary.load(f));
        assertTrue(truncated.getMessage().startsWith(f + ":3: expected a line ending in a newline"),
                truncated.getMessage());
        Path missing = dir.resolve("none.vocab");
        assertEquals(missing + ": expected an existing file, found no file at that path",
                assertThrows(DataFileException.class, () -> Vocabulary.load(missing)).getMessage());
    }

    @Test
    void aTokenizerRefusesAVocabularyWithoutItsSpecials() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new WordTokenizer(Vocabulary.of(List.of("<pad>", "<unk>", "a"))));
        assertEquals("vocabulary: expected the token '<eos>', found 3 tokens without it", e.getMessage());
    }
}
