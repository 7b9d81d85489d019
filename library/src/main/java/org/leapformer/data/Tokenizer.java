package org.leapformer.data;

/**
 * Text to token ids and back, over a {@link Vocabulary}. Unknown tokens encode to
 * {@link Vocabulary#UNK}; decoding skips {@link Vocabulary#PAD}.
 */
public interface Tokenizer {

    /** The vocabulary the ids index. */
    Vocabulary vocabulary();

    /** The ids of a text. */
    int[] encode(String text);

    /** The text of ids; padding is skipped. */
    String decode(int[] ids);

    /** "char" or "word": how {@link #of} rebuilds this tokenizer from its vocabulary (in a checkpoint). */
    String kind();

    /**
     * The tokenizer of a kind over a vocabulary.
     *
     * @throws IllegalArgumentException for a kind other than "char" and "word"
     */
    static Tokenizer of(String kind, Vocabulary vocabulary) {
        return switch (kind) {
            case "char" -> new CharTokenizer(vocabulary);
            case "word" -> new WordTokenizer(vocabulary);
            default -> throw new IllegalArgumentException("tokenizer kind: expected char or word, found '" + kind + "'");
        };
    }
}
