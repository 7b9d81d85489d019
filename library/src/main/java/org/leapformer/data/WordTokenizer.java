package org.leapformer.data;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Word-level tokenizer for pre-tokenised text such as WikiText: tokens are separated by
 * whitespace and every line ends with {@code <eos>}, as in the usual WikiText language-modelling
 * setup. Specials: {@code <pad>} (id 0), {@code <unk>} (id 1), {@code <eos>} (id 2). WikiText's
 * own {@code <unk>} words map to the {@code <unk>} id.
 *
 * <p>{@link #encode(String)} reads a text as lines split at {@code \n} (a final {@code \n} ends
 * the last line rather than starting an empty one); {@link #decode(int[])} joins tokens by single
 * spaces and writes {@code <eos>} as {@code \n}, so normalised text (single spaces, no spaces at
 * line ends, a final newline, known words) survives a round trip.
 */
public final class WordTokenizer implements Tokenizer {

    /** The specials, in id order. */
    public static final List<String> SPECIALS = List.of(Vocabulary.PAD, Vocabulary.UNK, Vocabulary.EOS);

    private final Vocabulary vocabulary;
    private final int pad;
    private final int unk;
    private final int eos;

    /**
     * A tokenizer over a given (e.g. loaded) vocabulary.
     *
     * @throws IllegalArgumentException when it lacks {@code <pad>}, {@code <unk>} or {@code <eos>}
     */
    @Override
    public String kind() {
        return "word";
    }

    public WordTokenizer(Vocabulary vocabulary) {
        if (vocabulary == null) {
            throw new IllegalArgumentException("vocabulary: expected a vocabulary, found null");
        }
        this.vocabulary = vocabulary;
        this.pad = vocabulary.require(Vocabulary.PAD);
        this.unk = vocabulary.require(Vocabulary.UNK);
        this.eos = vocabulary.require(Vocabulary.EOS);
    }

    /** A builder: min frequency 1, no size limit. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Vocabulary vocabulary() {
        return vocabulary;
    }

    /** Id of {@code <eos>}. */
    public int eosId() {
        return eos;
    }

    /** Id of {@code <unk>}. */
    public int unkId() {
        return unk;
    }

    @Override
    public int[] encode(String text) {
        IntList out = new IntList(text.length() / 4 + 1);
        int start = 0;
        while (start < text.length()) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = text.length();
            }
            encodeLine(text.substring(start, end), out);
            start = end + 1;
        }
        return out.toArray();
    }

    /** The ids of one line's tokens followed by {@code <eos>}. */
    public int[] encodeLine(String line) {
        IntList out = new IntList(16);
        encodeLine(line, out);
        return out.toArray();
    }

    void encodeLine(String line, IntList out) {
        int n = line.length();
        int i = 0;
        while (i < n) {
            while (i < n && Character.isWhitespace(line.charAt(i))) {
                i++;
            }
            int j = i;
            while (j < n && !Character.isWhitespace(line.charAt(j))) {
                j++;
            }
            if (j > i) {
                int id = vocabulary.id(line.substring(i, j));
                out.add(id < 0 ? unk : id);
            }
            i = j;
        }
        out.add(eos);
    }

    @Override
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder(ids.length * 6);
        boolean lineStart = true;
        for (int id : ids) {
            if (id == pad) {
                continue;
            }
            if (id == eos) {
                sb.append('\n');
                lineStart = true;
                continue;
            }
            if (!lineStart) {
                sb.append(' ');
            }
            sb.append(vocabulary.token(id));
            lineStart = false;
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return "WordTokenizer(" + vocabulary.size() + " tokens)";
    }

    /** Whitespace-separated token counts of a text, {@code <eos>} counted once per line. */
    static void count(String line, Map<String, Long> counts) {
        for (String t : line.strip().split("\\s+")) {
            if (!t.isEmpty()) {
                counts.merge(t, 1L, Long::sum);
            }
        }
        counts.merge(Vocabulary.EOS, 1L, Long::sum);
    }

    /** Builder: {@code optX} settings, then {@code build} from a text or from token counts. */
    public static final class Builder {
        private long minFrequency = 1;
        private int maxSize = Integer.MAX_VALUE;

        private Builder() {}

        /** Words seen fewer times become {@code <unk>} (default 1). */
        public Builder optMinFrequency(long minFrequency) {
            this.minFrequency = minFrequency;
            return this;
        }

        /** Most ids, the three specials included; the most frequent words are kept (default no limit). */
        public Builder optMaxSize(int maxSize) {
            this.maxSize = maxSize;
            return this;
        }

        /** Counts the words of {@code text}, line by line, and builds the tokenizer. */
        public WordTokenizer build(String text) {
            if (text == null) {
                throw new IllegalArgumentException("text: expected a text to count words of, found null");
            }
            Map<String, Long> counts = new HashMap<>();
            for (String line : text.split("\n")) {
                count(line, counts);
            }
            return build(counts);
        }

        /** Builds the tokenizer from word counts (e.g. {@link WikiText#countTokens}). */
        public WordTokenizer build(Map<String, Long> counts) {
            return new WordTokenizer(Vocabulary.builder().optSpecials(SPECIALS).optMinFrequency(minFrequency)
                    .optMaxSize(maxSize).build(counts));
        }
    }
}
