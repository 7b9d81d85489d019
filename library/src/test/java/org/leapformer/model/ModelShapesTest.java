package org.leapformer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.leapformer.LeapEngine;
import org.leapformer.TestSupport;
import org.leapformer.nn.AttentionKind;

/** Shapes of every model and the messages of the configuration checks. */
class ModelShapesTest {

    private static NDManager manager;

    @BeforeAll
    static void start() {
        manager = LeapEngine.newManager();
    }

    @AfterAll
    static void stop() {
        manager.close();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(AttentionKind.class)
    void theEncoderClassifierMapsPaddedTokensToClassLogits(AttentionKind kind) {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(1);
            EncoderClassifier model = new EncoderClassifier(ModelConfigs.small(kind).optNumClasses(3).build())
                    .initialize(m, DataType.FLOAT32);
            NDArray ids = m.create(new long[] {3, 4, 5, 0, 0, 7, 8, 9, 10, 1}, new Shape(2, 5));
            NDArray logits = model.logits(ids);
            assertEquals(new Shape(2, 3), logits.getShape());
            TestSupport.assertFinite(logits, "logits");
        }
    }

    @Test
    void paddingDoesNotChangeTheClassifierOutput() {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(2);
            EncoderClassifier model = new EncoderClassifier(ModelConfigs.small(AttentionKind.LEAP).optNumClasses(2).build())
                    .initialize(m, DataType.FLOAT32);
            NDArray shortIds = m.create(new long[] {3, 4, 5}, new Shape(1, 3));
            NDArray padded = m.create(new long[] {3, 4, 5, 0, 0}, new Shape(1, 5));
            // learned positions do not depend on the padded length; LeaP proportions do not either
            TestSupport.assertClose(model.logits(shortIds), model.logits(padded), 1e-5, "padded logits");
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(AttentionKind.class)
    void theDecoderMapsTokensToNextTokenLogits(AttentionKind kind) {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(3);
            DecoderLM model = new DecoderLM(ModelConfigs.small(kind).optTiedEmbeddings(kind != AttentionKind.SOFTMAX).build())
                    .initialize(m, DataType.FLOAT32);
            NDArray ids = m.randomInteger(0, 11, new Shape(3, 7), DataType.INT64);
            NDArray logits = model.logits(new ParameterStore(m, false), ids, true);
            assertEquals(new Shape(3, 7, 11), logits.getShape());
            TestSupport.assertFinite(logits, "logits");
        }
    }

    @Test
    void tiedEmbeddingsHaveNoSeparateOutputProjection() {
        try (NDManager m = manager.newSubManager()) {
            DecoderLM tied = new DecoderLM(ModelConfigs.small(AttentionKind.LEAP).build()).initialize(m, DataType.FLOAT32);
            DecoderLM untied = new DecoderLM(ModelConfigs.small(AttentionKind.LEAP).optTiedEmbeddings(false).build())
                    .initialize(m, DataType.FLOAT32);
            long a = count(tied);
            long b = count(untied);
            assertEquals(11 * 16, b - a, "the untied head is one V x Dm matrix");
        }
    }

    private static long count(ai.djl.nn.Block block) {
        long n = 0;
        for (var p : block.getParameters()) {
            n += p.getValue().getArray().size();
        }
        return n;
    }

    @Test
    void theConfigurationNamesTheExpectedAndTheFoundValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelConfig.builder().setMaxLength(8).build());
        assertEquals("vocabulary size: expected a positive V set with setVocabSize, found -1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelConfigs.small(AttentionKind.LEAP).optDropout(1.0).build());
        assertEquals("dropout: expected a rate in [0, 1), found 1.0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelConfigs.small(AttentionKind.LEAP).optChunkSize(0).build());
        assertTrue(e.getMessage().startsWith("chunk size: expected a positive number of tokens"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new EncoderClassifier(ModelConfigs.small(AttentionKind.LEAP).build()));
        assertEquals("classifier classes: expected at least 2 (optNumClasses), found 0", e.getMessage());
    }

    @Test
    void tooLongInputsAreRejectedBeforeAnyNativeCall() {
        try (NDManager m = manager.newSubManager()) {
            DecoderLM model = new DecoderLM(ModelConfigs.small(AttentionKind.LEAP).optPositions(Positions.LEARNED)
                    .build()).initialize(m, DataType.FLOAT32);
            NDArray ids = m.zeros(new Shape(1, 17), DataType.INT64);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.logits(ids));
            assertEquals("sequence length: expected at most 16 tokens (learned positions end at maxLength=16), found "
                    + "positions up to 17", e.getMessage());
            DecoderLM cosformer = new DecoderLM(ModelConfigs.small(AttentionKind.COSFORMER).build()).initialize(m,
                    DataType.FLOAT32);
            e = assertThrows(IllegalArgumentException.class, () -> cosformer.logits(ids));
            assertTrue(e.getMessage().contains("cosFormer's causal proportions i/N need N=maxLength=16"), e.getMessage());
            DecoderLM sinusoidal = new DecoderLM(ModelConfigs.small(AttentionKind.LEAP).build()).initialize(m,
                    DataType.FLOAT32);
            assertEquals(Positions.SINUSOIDAL, sinusoidal.config().positions(), "a language model's default");
            assertEquals(new Shape(1, 17, 11), sinusoidal.logits(ids).getShape(), "past the window is fine");
        }
    }

    @Test
    void theConfigurationSurvivesJson() {
        ModelConfig c = ModelConfigs.small(AttentionKind.COSFORMER).optLeapHidden(3).optClamp(null).build();
        assertEquals(c, ModelConfig.fromJson(c.toJson().toString()));
    }
}
