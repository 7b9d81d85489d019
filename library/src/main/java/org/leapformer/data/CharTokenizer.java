package org.leapformer.data;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Character-level tokenizer: one token per Unicode code point (newlines included), plus
 * {@code <pad>} (id 0) and {@code <unk>} (id 1). Decoding writes {@code <unk>} as the
 * replacement character U+FFFD.
 *
 * <pre>{@code
 * CharTokenizer tok = CharTokenizer.builder().build(text);
 * int[] ids = tok.encode(text);
 * }</pre>
 */
public final class CharTokenizer implements Tokenizer {

    /** The specials, in id order. */
    public static final List<String> SPECIALS = List.of(Vocabulary.PAD, Vocabulary.UNK);

    private final Vocabulary vocabulary;
    private final int pad;
    private final int unk;
    private final Map<Integer, Integer> ids = new HashMap<>();
    private final int[] asciiIds = new int[128];

    /**
     * A tokenizer over a given (e.g. loaded) vocabulary.
     *
     * @throws IllegalArgumentException when it lacks {@code <pad>} or {@code <unk>}, or holds a
     *     token that is neither a special nor a single code point
     */
    @Override
    public String kind() {
        return "char";
    }

    public CharTokenizer(Vocabulary vocabulary) {
        if (vocabulary == null) {
            throw new IllegalArgumentException("vocabulary: expected a vocabulary, found null");
        }
        this.vocabulary = vocabulary;
        this.pad = vocabulary.require(Vocabulary.PAD);
        this.unk = vocabulary.require(Vocabulary.UNK);
        Arrays.fill(asciiIds, unk);
        for (int i = 0; i < vocabulary.size(); i++) {
            String t = vocabulary.token(i);
            if (SPECIALS.contains(t)) {
                continue;
            }
            if (t.codePointCount(0, t.length()) != 1) {
                throw new IllegalArgumentException("character token " + i + ": expected one code point, found '"
                        + Vocabulary.escape(t) + "'");
            }
            int cp = t.codePointAt(0);
            ids.put(cp, i);
            if (cp < 128) {
                asciiIds[cp] = i;
            }
        }
    }

    /** A builder: min frequency 1, no size limit. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Vocabulary vocabulary() {
        return vocabulary;
    }

    @Override
    public int[] encode(String text) {
        return text.codePoints().map(cp -> cp < 128 ? asciiIds[cp] : ids.getOrDefault(cp, unk)).toArray();
    }

    @Override
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder(ids.length);
        for (int id : ids) {
            if (id == pad) {
                continue;
            }
            if (id == unk) {
                sb.append('\uFFFD');
            } else {
                sb.append(vocabulary.token(id));
            }
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return "CharTokenizer(" + vocabulary.size() + " tokens)";
    }

    /** Builder: {@code optX} settings, then {@link #build(CharSequence)} from a text. */
    public static final class Builder {
        private long minFrequency = 1;
        private int maxSize = Integer.MAX_VALUE;

        private Builder() {}

        /** Characters seen fewer times become {@code <unk>} (default 1). */
        public Builder optMinFrequency(long minFrequency) {
            this.minFrequency = minFrequency;
            return this;
        }

        /** Most ids, the two specials included (default no limit). */
        public Builder optMaxSize(int maxSize) {
            this.maxSize = maxSize;
            return this;
        }

        /** Counts the code points of {@code text} and builds the tokenizer. */
        public CharTokenizer build(CharSequence text) {
            if (text == null) {
                throw new IllegalArgumentException("text: expected a text to count characters of, found null");
            }
            Map<String, Long> counts = new HashMap<>();
            text.codePoints().forEach(cp -> counts.merge(new String(Character.toChars(cp)), 1L, Long::sum));
            return new CharTokenizer(Vocabulary.builder().optSpecials(SPECIALS).optMinFrequency(minFrequency)
                    .optMaxSize(maxSize).build(counts));
        }
    }
}
