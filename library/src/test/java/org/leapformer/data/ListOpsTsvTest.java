package org.leapformer.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Round trips through the LRA TSV layout, and every way a file can be wrong. */
class ListOpsTsvTest {

    @TempDir
    Path dir;

    private Path file(String content) throws IOException {
        Path f = dir.resolve(ListOpsTsv.TEST);
        Files.write(f, content.getBytes(StandardCharsets.UTF_8));
        return f;
    }

    private static void assertFails(Path file, long line, String expected, Runnable read) {
        DataFileException e = assertThrows(DataFileException.class, read::run);
        assertEquals(file, e.file());
        assertEquals(line, e.line());
        String where = line > 0 ? file + ":" + line + ": " : file + ": ";
        assertTrue(e.getMessage().startsWith(where), e.getMessage());
        assertTrue(e.getMessage().contains("expected " + expected), e.getMessage());
    }

    @Test
    void generatedExamplesSurviveAWriteAndReadUnchanged() throws IOException {
        List<ListOpsExample> examples = ListOps.builder().optSeed(5).optMaxDepth(4).optLengthRange(8, 60).build()
                .generate(100);
        Path f = dir.resolve("sub").resolve(ListOpsTsv.TRAIN);
        ListOpsTsv.write(f, examples);
        assertEquals(examples, ListOpsTsv.read(f));
        try (var listing = Files.list(f.getParent())) {
            assertEquals(1, listing.count(), "no temporary file is left beside the written one");
        }
    }

    @Test
    void aFileInTheReleasesLayoutWithCrlfLineEndsReads() throws IOException {
        Path f = file("Source\tTarget\r\n( ( ( [MAX 4 ) 3 ) ] )\t4\r\n[SM 9 8 [MED 1 2 ] ]\t8\r\n");
        List<ListOpsExample> rows = ListOpsTsv.read(f);
        assertEquals(List.of(new ListOpsExample("( ( ( [MAX 4 ) 3 ) ] )", 4),
                new ListOpsExample("[SM 9 8 [MED 1 2 ] ]", 8)), rows);
    }

    @Test
    void aMissingFileIsNamed() {
        Path f = dir.resolve("nothing.tsv");
        assertFails(f, 0, "an existing file", () -> ListOpsTsv.read(f));
    }

    @Test
    void anEmptyFileAndAWrongHeaderNameTheExpectedHeader() throws IOException {
        Path empty = file("");
        assertFails(empty, 1, "the header 'Source<TAB>Target', found an empty file", () -> ListOpsTsv.read(empty));
        Path wrong = file("source,target\n[MAX 1 2 ]\t2\n");
        assertFails(wrong, 1, "the header 'Source<TAB>Target', found 'source,target'", () -> ListOpsTsv.read(wrong));
    }

    @Test
    void aLineCutBeforeItsTargetIsATruncatedLine() throws IOException {
        Path f = file("Source\tTarget\n[MAX 1 2 ]\t2\n[MIN 3 [MAX 1\n");
        assertFails(f, 3, "2 tab-separated fields 'source<TAB>target', found 1 field (is the line truncated?)",
                () -> ListOpsTsv.read(f));
    }

    @Test
    void aFileEndingWithoutANewlineIsTruncated() throws IOException {
        Path f = file("Source\tTarget\n[MAX 1 2 ]\t2\n[MIN 3 4 ]\t");
        assertFails(f, 3, "a line ending in a newline (is the file truncated?)", () -> ListOpsTsv.read(f));
    }

    @Test
    void aTargetOutside0To9IsRejected() throws IOException {
        Path f = file("Source\tTarget\n[SM 9 9 ]\t18\n");
        assertFails(f, 2, "a target digit 0-9, found '18'", () -> ListOpsTsv.read(f));
    }

    @Test
    void aTargetThatIsNotTheValueIsRejectedUnlessVerificationIsOff() throws IOException {
        Path f = file("Source\tTarget\n[MAX 1 2 ]\t2\n[SM 9 9 ]\t9\n");
        assertFails(f, 3, "target 8, the value of the source, found target 9", () -> ListOpsTsv.read(f));
        assertEquals(9, ListOpsTsv.read(f, false).get(1).target());
    }

    @Test
    void unbalancedBracketsAndParenthesesAreRejected() throws IOException {
        Path open = file("Source\tTarget\n[MAX 1 [MIN 2 3 ]\t3\n");
        assertFails(open, 2, "1 more ']' to close [MAX at source token 7, found the end of the source",
                () -> ListOpsTsv.read(open));
        Path close = file("Source\tTarget\n[MAX 1 2 ] ]\t2\n");
        assertFails(close, 2, "an operator to close at source token 5", () -> ListOpsTsv.read(close));
        Path parens = file("Source\tTarget\n( ( [MAX 1 ) 2 ) ] )\t2\n");
        assertFails(parens, 2, "a matching '(' before this ')' at source token 9", () -> ListOpsTsv.read(parens));
    }

    @Test
    void anUnknownTokenIsNamed() throws IOException {
        Path f = file("Source\tTarget\n[MAX 1 [AVG 2 3 ] ]\t3\n");
        assertFails(f, 2, "one of [MIN [MAX [MED [SM ] ( ) or a digit 0-9 at source token 3, found '[AVG'",
                () -> ListOpsTsv.read(f));
    }

    @Test
    void nulBytesAndInvalidUtf8AreRejectedWithTheirPosition() throws IOException {
        Path nul = file("Source\tTarget\n[MAX 1\u0000 2 ]\t2\n");
        assertFails(nul, 2, "text without NUL bytes, found a NUL byte at byte 7 of the line",
                () -> ListOpsTsv.read(nul));
        Path f = dir.resolve("bad-utf8.tsv");
        byte[] head = "Source\tTarget\n[MAX 1 ".getBytes(StandardCharsets.US_ASCII);
        byte[] tail = " ]\t1\n".getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[head.length + 1 + tail.length];
        System.arraycopy(head, 0, all, 0, head.length);
        all[head.length] = (byte) 0xC3;
        System.arraycopy(tail, 0, all, head.length + 1, tail.length);
        Files.write(f, all);
        assertFails(f, 2, "valid UTF-8, found the invalid byte 0xC3 at byte 8 of the line", () -> ListOpsTsv.read(f));
    }
}
