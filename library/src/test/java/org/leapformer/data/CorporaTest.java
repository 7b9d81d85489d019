package org.leapformer.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shipped corpus is found from the repository and its subdirectories, and reads as text. */
class CorporaTest {

    @TempDir
    Path dir;

    @Test
    void theShippedCorpusIsFoundFromASubdirectoryAndACharModelCanReadIt() {
        Path corpus = Corpora.shipped();
        assertTrue(corpus.endsWith(Path.of("data", Corpora.SHIPPED_FILE)), corpus.toString());
        Path repo = corpus.getParent().getParent();
        assertEquals(corpus, Corpora.locate(Corpora.SHIPPED_FILE, null, null, repo.resolve("notebooks")));
        String text = Corpora.shippedText();
        assertTrue(text.startsWith("PRIDE AND PREJUDICE"), text.substring(0, 40));
        CharTokenizer tok = CharTokenizer.builder().build(text);
        assertTrue(tok.vocabulary().size() < 100, "a small character vocabulary: " + tok.vocabulary().size());
        assertEquals(text.length(), tok.encode(text).length);
    }

    @Test
    void outsideACheckoutTheCopyInTheJarIsWrittenOnceAndRead() throws Exception {
        Path file = Corpora.fromResource(Corpora.SHIPPED_FILE, dir.resolve("cache"));
        assertTrue(file != null && Files.isRegularFile(file), "the library carries the corpus");
        assertEquals(Files.size(Corpora.shipped()), Files.size(file));
        long modified = Files.getLastModifiedTime(file).toMillis();
        Thread.sleep(20);
        assertEquals(file, Corpora.fromResource(Corpora.SHIPPED_FILE, dir.resolve("cache")));
        assertEquals(modified, Files.getLastModifiedTime(file).toMillis(), "an existing copy is reused");
        try (var files = Files.list(dir.resolve("cache"))) {
            assertEquals(1, files.count(), "no temporary file left");
        }
        assertEquals(null, Corpora.fromResource("none.txt", dir.resolve("cache")));
    }

    @Test
    void aMissingCorpusNamesEveryPlaceSearched() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("a").resolve("b"));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Corpora.locate("none.txt", dir.toString(), null, empty));
        assertTrue(e.getMessage().startsWith("shipped corpus: expected none.txt in one of [" + dir.resolve("none.txt")
                + ", " + empty.resolve("data").resolve("none.txt")), e.getMessage());
    }
}
