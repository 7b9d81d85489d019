package org.leapformer.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Real parallel text: two aligned UTF-8 files, one sentence per line (line i of the target
 * translates line i of the source), words separated by whitespace, as the usual
 * {@code train.de} / {@code train.en} files are. A final newline is optional; a line empty on
 * both sides is skipped; anything else misaligned fails with a {@link DataFileException} naming
 * the file and the line.
 */
public final class ParallelText {

    private ParallelText() {}

    /** Reads every pair, without a length limit. */
    public static List<TranslationPair> read(Path source, Path target) {
        return read(source, target, Integer.MAX_VALUE);
    }

    /**
     * Reads every pair.
     *
     * @param maxWords the most words a sentence may have on either side
     * @throws DataFileException on different line counts (naming the longer file's first extra line),
     *     a line empty on one side only, a sentence over {@code maxWords}, or invalid UTF-8
     */
    public static List<TranslationPair> read(Path source, Path target, int maxWords) {
        if (maxWords < 1) {
            throw new IllegalArgumentException("maxWords: expected at least 1, found " + maxWords);
        }
        List<String> s = lines(source);
        List<String> t = lines(target);
        if (s.size() != t.size()) {
            boolean sourceLonger = s.size() > t.size();
            Path longer = sourceLonger ? source : target;
            int extra = Math.min(s.size(), t.size()) + 1;
            throw new DataFileException(longer, extra, "as many lines as " + (sourceLonger ? target : source) + " ("
                    + Math.min(s.size(), t.size()) + "), one translation per sentence", Math.max(s.size(), t.size())
                    + " lines; line " + extra + " has no counterpart");
        }
        List<TranslationPair> out = new ArrayList<>();
        for (int i = 0; i < s.size(); i++) {
            List<String> sw = words(s.get(i));
            List<String> tw = words(t.get(i));
            if (sw.isEmpty() && tw.isEmpty()) {
                continue;
            }
            if (sw.isEmpty() || tw.isEmpty()) {
                Path empty = sw.isEmpty() ? source : target;
                throw new DataFileException(empty, i + 1, "a sentence (its translation on line " + (i + 1) + " of "
                        + (sw.isEmpty() ? target : source) + " is not empty)", "an empty line");
            }
            check(source, i + 1, sw, maxWords);
            check(target, i + 1, tw, maxWords);
            out.add(new TranslationPair(sw, tw));
        }
        if (out.isEmpty()) {
            throw new DataFileException(source, 0, "at least one sentence pair", "none");
        }
        return out;
    }

    private static void check(Path file, int line, List<String> words, int maxWords) {
        if (words.size() > maxWords) {
            throw new DataFileException(file, line, "at most " + maxWords + " words", words.size() + " words");
        }
    }

    private static List<String> lines(Path file) {
        String text = TextFiles.readUtf8(file);
        if (text.endsWith("\n")) {
            text = text.substring(0, text.length() - 1);
        }
        return text.isEmpty() ? List.of() : Arrays.asList(text.split("\r?\n", -1));
    }

    private static List<String> words(String line) {
        String t = line.strip();
        return t.isEmpty() ? List.of() : List.of(t.split("\\s+"));
    }
}
