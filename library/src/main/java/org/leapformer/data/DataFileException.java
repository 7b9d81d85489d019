package org.leapformer.data;

import java.nio.file.Path;

/**
 * A data file that is missing, truncated or malformed. The message names the file, the line
 * (1-based; 0 when the problem is the file as a whole), what was expected and what was found:
 * {@code data/basic_test.tsv:17: expected a target digit 0-9, found "12"}.
 */
public class DataFileException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final long line;
    private final String expected;
    private final String found;

    /**
     * @param file the file being read
     * @param line the 1-based line number, or 0 for the file as a whole
     * @param expected what the reader expected there
     * @param found what it found instead
     */
    public DataFileException(Path file, long line, String expected, String found) {
        super(file + (line > 0 ? ":" + line : "") + ": expected " + expected + ", found " + found);
        this.file = file;
        this.line = line;
        this.expected = expected;
        this.found = found;
    }

    /** The file being read. */
    public Path file() {
        return file;
    }

    /** The 1-based line number, or 0 when the problem is the file as a whole. */
    public long line() {
        return line;
    }

    /** What the reader expected. */
    public String expected() {
        return expected;
    }

    /** What it found instead. */
    public String found() {
        return found;
    }
}
