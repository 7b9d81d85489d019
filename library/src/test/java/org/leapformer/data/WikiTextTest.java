package org.leapformer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The WikiText reader on a small file in the real layout, and on missing, empty, truncated and malformed files. */
class WikiTextTest {

    private static final String SAMPLE = " \n"
            + " = Valkyria Chronicles III = \n"
            + " \n"
            + " Senj\u014d no Valkyria 3 : <unk> Chronicles is a tactical role @-@ playing video game . \n"
            + " \n"
            + " = = Gameplay = = \n"
            + " \n"
            + " The game runs at 1 @,@ 000 frames , or 3 @.@ 5 seconds . \n";

    @TempDir
    Path dir;

    private Path write(String name, byte[] content) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, content);
        return f;
    }

    private Path write(String content) throws IOException {
        return write(WikiText.TRAIN, content.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aFileInTheWikiTextLayoutGivesEachLinesTokensThenEos() throws IOException {
        Path f = write(SAMPLE);
        List<String> lines = WikiText.readLines(f);
        assertEquals(8, lines.size());
        assertEquals(1, WikiText.headingLevel(lines.get(1)));
        assertEquals(2, WikiText.headingLevel(lines.get(5)));
        assertEquals(0, WikiText.headingLevel(lines.get(3)));

        Map<String, Long> counts = WikiText.countTokens(f);
        assertEquals(8L, counts.get(Vocabulary.EOS));
        assertEquals(1L, counts.get("@-@"));
        WordTokenizer tok = WordTokenizer.builder().build(counts);
        int[] ids = WikiText.encode(f, tok);
        assertEquals(tok.eosId(), ids[0], "a blank line is just <eos>");
        assertEquals(tok.unkId(), tok.vocabulary().id("<unk>"), "WikiText's <unk> is the tokenizer's");
        String decoded = tok.decode(ids);
        assertEquals(SAMPLE.lines().map(String::strip).collect(Collectors.joining("\n", "", "\n")), decoded);
        assertArrayEquals(ids, tok.encode(SAMPLE));
    }

    @Test
    void aMissingFileIsNamed() {
        Path f = dir.resolve(WikiText.VALID);
        DataFileException e = assertThrows(DataFileException.class, () -> WikiText.readLines(f));
        assertEquals(f + ": expected an existing file, found no file at that path", e.getMessage());
    }

    @Test
    void anEmptyFileIsRejected() throws IOException {
        Path f = write("");
        DataFileException e = assertThrows(DataFileException.class, () -> WikiText.readLines(f));
        assertEquals(f + ": expected at least one line of tokens, found an empty file", e.getMessage());
    }

    @Test
    void aFileCutMidLineIsTruncated() throws IOException {
        Path f = write(SAMPLE + " The game was rel");
        DataFileException e = assertThrows(DataFileException.class, () -> WikiText.readLines(f));
        assertEquals(f + ":9: expected a line ending in a newline (is the file truncated?), "
                + "found the end of the file after 17 bytes of this line", e.getMessage());
    }

    @Test
    void nulBytesAndInvalidUtf8NameTheirLineAndByte() throws IOException {
        Path nul = write(" \n = Title = \n a\u0000b \n");
        DataFileException e = assertThrows(DataFileException.class, () -> WikiText.readLines(nul));
        assertEquals(nul + ":3: expected text without NUL bytes, found a NUL byte at byte 3 of the line",
                e.getMessage());
        byte[] head = " \n = Title = \n caf".getBytes(StandardCharsets.US_ASCII);
        byte[] latin1 = new byte[head.length + 3];
        System.arraycopy(head, 0, latin1, 0, head.length);
        latin1[head.length] = (byte) 0xE9;
        latin1[head.length + 1] = ' ';
        latin1[head.length + 2] = '\n';
        Path bad = write(WikiText.TEST, latin1);
        DataFileException u = assertThrows(DataFileException.class, () -> WikiText.readLines(bad));
        assertEquals(bad + ":3: expected valid UTF-8, found the invalid byte 0xE9 at byte 5 of the line",
                u.getMessage());
    }

    @Test
    void aHeadingWithUnmatchedEqualSignsIsMalformed() throws IOException {
        Path f = write(" \n = = Gameplay = \n");
        DataFileException e = assertThrows(DataFileException.class, () -> WikiText.readLines(f));
        assertEquals(f + ":2: expected a heading ' = Title = ' with as many '=' after the title as before, "
                + "found ' = = Gameplay = ' (2 before, 1 after)", e.getMessage());
    }
}
