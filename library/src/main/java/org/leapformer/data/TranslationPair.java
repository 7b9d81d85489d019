package org.leapformer.data;

import java.util.List;

/**
 * One sentence and its translation, as words.
 *
 * @param source the source words
 * @param target the target words
 */
public record TranslationPair(List<String> source, List<String> target) {

    public TranslationPair {
        if (source == null || target == null || source.isEmpty() || target.isEmpty()) {
            throw new IllegalArgumentException("translation pair: expected non-empty source and target, found "
                    + (source == null ? "null" : source.size() + " words") + " and "
                    + (target == null ? "null" : target.size() + " words"));
        }
        source = List.copyOf(source);
        target = List.copyOf(target);
    }

    @Override
    public String toString() {
        return String.join(" ", source) + " => " + String.join(" ", target);
    }
}
