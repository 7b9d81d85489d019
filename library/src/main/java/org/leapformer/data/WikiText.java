package org.leapformer.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reader of WikiText token files (Merity et al. 2016, https://arxiv.org/abs/1609.07843) in the
 * layout of {@code wiki.train.tokens}, {@code wiki.valid.tokens} and {@code wiki.test.tokens}:
 * UTF-8 lines of space-separated tokens, headings written {@code " = Title = "} ({@code " = = Sub = = "}
 * one level down), blank lines between paragraphs, rare words already {@code <unk>} and
 * {@code @-@}, {@code @,@}, {@code @.@} kept as tokens. Every line, blank ones included, is its
 * tokens followed by {@code <eos>}, as in the usual language-modelling setup.
 *
 * <p>Files are streamed, so WikiText-103's 500 MB training file needs memory only for its ids.
 * A file that is missing or empty, that does not end with a newline (truncated), that holds a NUL
 * byte or invalid UTF-8, or a heading whose {@code =} signs do not match, fails with a
 * {@link DataFileException} naming the file, the line and what was expected.
 */
public final class WikiText {

    /** Training split's file name. */
    public static final String TRAIN = "wiki.train.tokens";
    /** Validation split's file name. */
    public static final String VALID = "wiki.valid.tokens";
    /** Test split's file name. */
    public static final String TEST = "wiki.test.tokens";

    /** Receives each checked line. */
    @FunctionalInterface
    public interface LineVisitor {
        /**
         * @param number 1-based line number
         * @param line the line without its newline
         */
        void visit(long number, String line);
    }

    private WikiText() {}

    /**
     * Streams the checked lines of a file.
     *
     * @throws DataFileException on a missing, empty, truncated or malformed file
     */
    public static void forEachLine(Path file, LineVisitor visitor) {
        try (Lines lines = Lines.open(file)) {
            String line;
            while ((line = lines.next()) != null) {
                headingLevel(file, lines.lineNumber(), line);
                visitor.visit(lines.lineNumber(), line);
            }
            if (lines.lineNumber() == 0) {
                throw new DataFileException(file, 0, "at least one line of tokens", "an empty file");
            }
        }
    }

    /** All checked lines of a file, without newlines; for small files. */
    public static List<String> readLines(Path file) {
        List<String> out = new ArrayList<>();
        forEachLine(file, (n, line) -> out.add(line));
        return out;
    }

    /** Token counts of a file, {@code <eos>} once per line, for {@link WordTokenizer.Builder#build(Map)}. */
    public static Map<String, Long> countTokens(Path file) {
        Map<String, Long> counts = new HashMap<>();
        forEachLine(file, (n, line) -> WordTokenizer.count(line, counts));
        return counts;
    }

    /**
     * The ids of a file's tokens, each line's followed by {@code <eos>}.
     *
     * @param tokenizer usually built from the training file's counts
     */
    public static int[] encode(Path file, WordTokenizer tokenizer) {
        IntList out = new IntList(1 << 16);
        forEachLine(file, (n, line) -> tokenizer.encodeLine(line, out));
        return out.toArray();
    }

    /**
     * The heading level of a line: 0 for text or a blank line, 1 for {@code " = Title = "}, 2 for
     * {@code " = = Section = = "} and so on.
     *
     * @throws IllegalArgumentException when the line starts like a heading but its {@code =} signs do not match
     */
    public static int headingLevel(String line) {
        return headingLevel(null, 0, line);
    }

    private static int headingLevel(Path file, long n, String line) {
        String t = line.strip();
        if (!t.startsWith("= ") && !t.equals("=")) {
            return 0;
        }
        String[] tokens = t.split(" +");
        int left = 0;
        while (left < tokens.length && tokens[left].equals("=")) {
            left++;
        }
        int right = 0;
        while (right < tokens.length - left && tokens[tokens.length - 1 - right].equals("=")) {
            right++;
        }
        if (left != right || left + right >= tokens.length) {
            String expected = "a heading ' = Title = ' with as many '=' after the title as before";
            String found = "'" + (line.length() > 60 ? line.substring(0, 60) + "..." : line) + "' (" + left
                    + " before, " + right + " after" + (left + right >= tokens.length ? ", no title" : "") + ")";
            if (file == null) {
                throw new IllegalArgumentException("WikiText line: expected " + expected + ", found " + found);
            }
            throw new DataFileException(file, n, expected, found);
        }
        return left;
    }
}
