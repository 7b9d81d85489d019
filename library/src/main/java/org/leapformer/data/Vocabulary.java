package org.leapformer.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable list of tokens and their ids: special tokens first, then the other tokens by
 * descending frequency, ties by token order, so the same counts always give the same ids.
 *
 * <p>Saved as UTF-8 text, atomically (a temporary file moved into place): a header line
 * {@value #HEADER}, then one token a line with {@code \\}, newline, carriage return and tab
 * escaped as {@code \\\\}, {@code \\n}, {@code \\r}, {@code \\t}; a token's id is its line number
 * minus 2.
 */
public final class Vocabulary {

    /** Padding. */
    public static final String PAD = "<pad>";
    /** Unknown token; WikiText's files already write rare words as {@code <unk>}. */
    public static final String UNK = "<unk>";
    /** End of a line, as in WikiText language modelling. */
    public static final String EOS = "<eos>";
    /** First line of a saved vocabulary. */
    public static final String HEADER = "#leapformer-vocabulary 1";

    private final List<String> tokens;
    private final Map<String, Integer> ids;

    private Vocabulary(List<String> tokens) {
        this.tokens = List.copyOf(tokens);
        Map<String, Integer> m = new HashMap<>(tokens.size() * 2);
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i);
            if (t == null || t.isEmpty()) {
                throw new IllegalArgumentException("token " + i + ": expected a non-empty string, found "
                        + (t == null ? "null" : "an empty string"));
            }
            Integer previous = m.put(t, i);
            if (previous != null) {
                throw new IllegalArgumentException("token " + i + ": expected a token not already in the vocabulary, "
                        + "found '" + escape(t) + "', also token " + previous);
            }
        }
        this.ids = m;
    }

    /**
     * A vocabulary of exactly these tokens, id i for the i-th.
     *
     * @throws IllegalArgumentException on a null, empty or repeated token
     */
    public static Vocabulary of(List<String> tokens) {
        if (tokens == null) {
            throw new IllegalArgumentException("tokens: expected a list, found null");
        }
        return new Vocabulary(tokens);
    }

    /** A builder: no specials, min frequency 1, no size limit. */
    public static Builder builder() {
        return new Builder();
    }

    /** Number of ids. */
    public int size() {
        return tokens.size();
    }

    /** The tokens by id. */
    public List<String> tokens() {
        return tokens;
    }

    /** The token of an id. */
    public String token(int id) {
        if (id < 0 || id >= tokens.size()) {
            throw new IllegalArgumentException("token id: expected 0.." + (tokens.size() - 1) + ", found " + id);
        }
        return tokens.get(id);
    }

    /** The id of a token, or -1 when it is not in the vocabulary. */
    public int id(String token) {
        Integer id = ids.get(token);
        return id == null ? -1 : id;
    }

    /** Whether the token is in the vocabulary. */
    public boolean contains(String token) {
        return ids.containsKey(token);
    }

    /**
     * The id of a special token the caller relies on.
     *
     * @throws IllegalArgumentException naming the missing token
     */
    public int require(String special) {
        Integer id = ids.get(special);
        if (id == null) {
            throw new IllegalArgumentException("vocabulary: expected the token '" + escape(special) + "', found "
                    + size() + " tokens without it");
        }
        return id;
    }

    /** Saves atomically in the format described above. */
    public void save(Path file) {
        AtomicFiles.write(file, out -> {
            out.write(HEADER);
            out.write('\n');
            for (String t : tokens) {
                out.write(escape(t));
                out.write('\n');
            }
        });
    }

    /**
     * Loads a saved vocabulary.
     *
     * @throws DataFileException on a missing or malformed file: no header, a bad escape, an empty
     *     or repeated token, a truncated last line
     */
    public static Vocabulary load(Path file) {
        List<String> tokens = new ArrayList<>();
        Map<String, Long> seen = new HashMap<>();
        try (Lines lines = Lines.open(file)) {
            String header = lines.next();
            if (!HEADER.equals(header)) {
                throw new DataFileException(file, 1, "the header '" + HEADER + "'",
                        header == null ? "an empty file" : "'" + header + "'");
            }
            String line;
            while ((line = lines.next()) != null) {
                long n = lines.lineNumber();
                if (line.isEmpty()) {
                    throw new DataFileException(file, n, "a token", "an empty line");
                }
                String t = unescape(file, n, line);
                Long previous = seen.putIfAbsent(t, n);
                if (previous != null) {
                    throw new DataFileException(file, n, "a token not already listed", "'" + line
                            + "', also on line " + previous);
                }
                tokens.add(t);
            }
        }
        return new Vocabulary(tokens);
    }

    static String escape(String t) {
        StringBuilder sb = new StringBuilder(t.length());
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    private static String unescape(Path file, long n, String line) {
        StringBuilder sb = new StringBuilder(line.length());
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = i + 1 < line.length() ? line.charAt(++i) : 0;
            switch (e) {
                case '\\' -> sb.append('\\');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                default -> throw new DataFileException(file, n, "an escape \\\\, \\n, \\r or \\t at character " + (i + 1),
                        e == 0 ? "a lone '\\' at the end of the line" : "'\\" + e + "'");
            }
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return "Vocabulary(" + size() + " tokens)";
    }

    /** Builder: {@code optX} settings, then {@link #build(Map)} from token counts. */
    public static final class Builder {
        private List<String> specials = List.of();
        private long minFrequency = 1;
        private int maxSize = Integer.MAX_VALUE;

        private Builder() {}

        /** Tokens given the first ids, in this order, whatever their counts (default none). */
        public Builder optSpecials(List<String> specials) {
            this.specials = specials;
            return this;
        }

        /** Tokens seen fewer times are left out (default 1: all seen tokens). */
        public Builder optMinFrequency(long minFrequency) {
            this.minFrequency = minFrequency;
            return this;
        }

        /** Most ids, specials included; the most frequent tokens are kept (default no limit). */
        public Builder optMaxSize(int maxSize) {
            this.maxSize = maxSize;
            return this;
        }

        /** Validates the settings and builds the vocabulary of {@code counts}. */
        public Vocabulary build(Map<String, Long> counts) {
            if (specials == null) {
                throw new IllegalArgumentException("special tokens: expected a list, found null");
            }
            if (minFrequency < 1) {
                throw new IllegalArgumentException("min frequency: expected >= 1, found " + minFrequency);
            }
            if (maxSize < specials.size() || maxSize < 1) {
                throw new IllegalArgumentException("max vocabulary size: expected >= " + Math.max(1, specials.size())
                        + " (room for the special tokens " + specials + "), found " + maxSize);
            }
            if (counts == null) {
                throw new IllegalArgumentException("token counts: expected a map, found null");
            }
            List<Map.Entry<String, Long>> kept = new ArrayList<>();
            for (Map.Entry<String, Long> e : counts.entrySet()) {
                if (e.getValue() >= minFrequency && !specials.contains(e.getKey())) {
                    kept.add(e);
                }
            }
            kept.sort(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())
                    .thenComparing(Map.Entry.comparingByKey()));
            List<String> tokens = new ArrayList<>(specials);
            for (Map.Entry<String, Long> e : kept) {
                if (tokens.size() >= maxSize) {
                    break;
                }
                tokens.add(e.getKey());
            }
            return new Vocabulary(Collections.unmodifiableList(tokens));
        }
    }
}
