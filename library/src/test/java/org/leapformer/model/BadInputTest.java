package org.leapformer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.leapformer.ManagedTest;
import org.leapformer.TestSupport;
import org.leapformer.nn.AttentionKind;
import org.leapformer.ops.Form;
import org.leapformer.train.Losses;

/**
 * Token ids and labels a model cannot take: refused in Java with the valid range and what was
 * found, before the engine would fail with "index out of range in self".
 */
class BadInputTest extends ManagedTest {

    private static DecoderLM lm(NDManager m) {
        TestSupport.seed(1);
        return new DecoderLM(ModelConfigs.small(AttentionKind.LEAP).build()).initialize(m, DataType.FLOAT32);
    }

    private static EncoderClassifier classifier(NDManager m) {
        TestSupport.seed(1);
        return new EncoderClassifier(ModelConfigs.small(AttentionKind.LEAP).optNumClasses(3).build()).initialize(m,
                DataType.FLOAT32);
    }

    private static void refused(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' should contain '" + f + "'");
        }
    }

    private static NDArray ids(NDManager m, long... ids) {
        return m.create(ids, new Shape(1, ids.length));
    }

    @Test
    void tokenIdsAtOrAboveTheVocabularyOrNegativeAreRefusedByTheLanguageModel() {
        try (NDManager m = manager.newSubManager()) {
            DecoderLM model = lm(m);
            refused(() -> model.logits(ids(m, 1, 2, 11)), "token ids: expected ids in [0, 11)",
                    "the vocabulary has 11 entries", "found ids from 1 to 11");
            refused(() -> model.logits(ids(m, -1, 2, 3)), "found ids from -1 to 3");
            refused(() -> model.logits(m.create(new int[] {0, 400}, new Shape(1, 2))), "found ids from 0 to 400");
            assertEquals(new Shape(1, 3, 11), model.logits(ids(m, 0, 5, 10)).getShape(), "0 and V-1 are fine");
        }
    }

    @Test
    void tokenIdsOutsideTheVocabularyAreRefusedByTheClassifier() {
        try (NDManager m = manager.newSubManager()) {
            EncoderClassifier model = classifier(m);
            refused(() -> model.logits(ids(m, 3, 12)), "token ids: expected ids in [0, 11)", "found ids from 3 to 12");
            refused(() -> model.logits(ids(m, -5, 1)), "found ids from -5 to 1");
        }
    }

    @Test
    void aGenerationPromptOrASessionTokenOutsideTheVocabularyIsRefusedNamingItsPosition() {
        try (NDManager m = manager.newSubManager()) {
            DecoderLM model = lm(m);
            refused(() -> model.generate(m, new int[] {1, 2, 11}, 3, Sampling.greedyDecoding()),
                    "prompt: expected ids in [0, 11)", "found 11 at position 2");
            refused(() -> model.generate(m, new int[] {-1}, 3, Sampling.greedyDecoding()), "found -1 at position 0");
            refused(() -> model.generate(m, new int[0], 3, Sampling.greedyDecoding()), "prompt: expected at least one token");
            try (DecoderLM.Session s = model.newSession(m, 1); NDManager step = m.newSubManager()) {
                refused(() -> s.feed(ids(step, 42), Form.RECURRENT), "token ids: expected ids in [0, 11)",
                        "found ids from 42 to 42");
                assertEquals(0, s.length(), "a refused token does not advance the session");
            }
        }
    }

    @Test
    void floatingPointTokenIdsAreRefused() {
        try (NDManager m = manager.newSubManager()) {
            DecoderLM model = lm(m);
            refused(() -> model.logits(m.create(new float[] {1, 2}, new Shape(1, 2))),
                    "token ids data type: expected an integer type", "found float32");
        }
    }

    @Test
    void labelsAtOrAboveTheNumberOfClassesAreRefusedNegativesAreIgnored() {
        try (NDManager m = manager.newSubManager()) {
            NDArray logits = m.zeros(new Shape(4, 3));
            refused(() -> Losses.sums(logits, m.create(new long[] {0, 1, 3, 2})),
                    "labels: expected class ids below 3 (the model's classes; negative ids are ignored)", "found a label 3");
            NDArray[] s = Losses.sums(logits, m.create(new long[] {0, -1, 2, -100}));
            assertEquals(2, s[1].toType(DataType.FLOAT64, false).getDouble(), 0, "two labels counted");
            NDArray lmLogits = m.zeros(new Shape(1, 2, 11));
            refused(() -> Losses.sums(lmLogits, m.create(new long[] {4, 11}, new Shape(1, 2))),
                    "class ids below 11 (the model's vocabulary", "found a label 11");
        }
    }

    @Test
    void labelsOfTheWrongShapeOrTypeAreRefused() {
        try (NDManager m = manager.newSubManager()) {
            NDArray logits = m.zeros(new Shape(4, 3));
            refused(() -> Losses.sums(logits, m.create(new long[] {0, 1})), "labels shape: expected (4)", "found (2)");
            refused(() -> Losses.sums(logits, m.create(new float[] {0, 1, 2, 0})),
                    "labels data type: expected an integer type", "found float32");
        }
    }
}
