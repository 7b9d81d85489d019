package org.leapformer.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reader and writer of the LRA release's ListOps files ({@code basic_train.tsv},
 * {@code basic_val.tsv}, {@code basic_test.tsv}): a header {@code Source<TAB>Target}, then one
 * example a line, its source in either written form (see {@link ListOpsExpression}) and its
 * target digit. CRLF line ends, which the release's files have, read like LF.
 *
 * <p>Every row is checked: two tab-separated fields, a source that parses (known tokens,
 * balanced brackets and parentheses), a target 0-9 and, unless turned off, a target equal to the
 * value of the source. A failure is a {@link DataFileException} naming the file, the line and
 * what was expected there.
 */
public final class ListOpsTsv {

    /** The header line. */
    public static final String HEADER = "Source\tTarget";
    /** The training split's file name in the LRA release. */
    public static final String TRAIN = "basic_train.tsv";
    /** The validation split's file name. */
    public static final String VALID = "basic_val.tsv";
    /** The test split's file name. */
    public static final String TEST = "basic_test.tsv";

    private ListOpsTsv() {}

    /** Reads and fully checks a file, targets included. */
    public static List<ListOpsExample> read(Path file) {
        return read(file, true);
    }

    /**
     * Reads a file.
     *
     * @param verifyTargets whether each target must equal the value of its source
     * @throws DataFileException on a missing, truncated or malformed file
     */
    public static List<ListOpsExample> read(Path file, boolean verifyTargets) {
        List<ListOpsExample> out = new ArrayList<>();
        try (Lines lines = Lines.open(file)) {
            String header = lines.next();
            if (header == null) {
                throw new DataFileException(file, 1, "the header '" + printable(HEADER) + "'", "an empty file");
            }
            if (!header.equals(HEADER)) {
                throw new DataFileException(file, 1, "the header '" + printable(HEADER) + "'",
                        "'" + printable(shorten(header)) + "'");
            }
            String line;
            while ((line = lines.next()) != null) {
                out.add(row(file, lines.lineNumber(), line, verifyTargets));
            }
        }
        return out;
    }

    private static ListOpsExample row(Path file, long n, String line, boolean verifyTargets) {
        if (line.isEmpty()) {
            throw new DataFileException(file, n, "a row 'source<TAB>target'", "an empty line");
        }
        String[] fields = line.split("\t", -1);
        if (fields.length != 2) {
            throw new DataFileException(file, n, "2 tab-separated fields 'source<TAB>target'",
                    fields.length + (fields.length == 1 ? " field (is the line truncated?)" : " fields"));
        }
        String target = fields[1].strip();
        if (target.length() != 1 || target.charAt(0) < '0' || target.charAt(0) > '9') {
            throw new DataFileException(file, n, "a target digit 0-9", "'" + printable(shorten(fields[1])) + "'");
        }
        ListOpsExpression e;
        try {
            e = ListOpsExpression.parse(fields[0]);
        } catch (ListOpsSyntaxException x) {
            throw new DataFileException(file, n, x.expected() + " at source token " + x.token(), x.found());
        }
        int value = target.charAt(0) - '0';
        if (verifyTargets && e.value() != value) {
            throw new DataFileException(file, n, "target " + e.value() + ", the value of the source", "target " + value);
        }
        return new ListOpsExample(fields[0], value);
    }

    /** Writes examples with the header, atomically (a temporary file moved into place). */
    public static void write(Path file, List<ListOpsExample> examples) {
        AtomicFiles.write(file, out -> {
            out.write(HEADER);
            out.write('\n');
            for (ListOpsExample e : examples) {
                out.write(e.source());
                out.write('\t');
                out.write(Integer.toString(e.target()));
                out.write('\n');
            }
        });
    }

    private static String shorten(String s) {
        return s.length() <= 60 ? s : s.substring(0, 60) + "...";
    }

    private static String printable(String s) {
        return s.replace("\t", "<TAB>");
    }
}
