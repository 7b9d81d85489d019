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
}
