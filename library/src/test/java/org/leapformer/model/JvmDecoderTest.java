package org.leapformer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.leapformer.ManagedTest;
import org.leapformer.TestSupport;
import org.leapformer.nn.AttentionKind;
import org.leapformer.ops.Form;

/** The JVM decoding step is the model's recurrent form, term for term. */
class JvmDecoderTest extends ManagedTest {

    static Stream<Arguments> models() {
        return Stream.of(
                Arguments.of(AttentionKind.LEAP, Positions.SINUSOIDAL, true, 2, 0.1),
                Arguments.of(AttentionKind.LEAP, Positions.LEARNED, false, 1, null),
                Arguments.of(AttentionKind.LEAP, Positions.NONE, true, 4, 0.1),
                Arguments.of(AttentionKind.COSFORMER, Positions.SINUSOIDAL, true, 2, 0.1),
                Arguments.of(AttentionKind.RELU_LINEAR, Positions.SINUSOIDAL, false, 2, null),
                Arguments.of(AttentionKind.SOFTMAX, Positions.LEARNED, true, 2, 0.1));
    }

    @ParameterizedTest(name = "{0} {1} tied={2} leapHidden={3} clamp={4}")
    @MethodSource("models")
    void everyStepGivesTheLogitsOfTheRecurrentForm(AttentionKind kind, Positions positions, boolean tied, int hidden,
            Double clamp) {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(51);
            DecoderLM lm = new DecoderLM(ModelConfigs.small(kind).setMaxLength(24).optPositions(positions)
                    .optTiedEmbeddings(tied).optLeapHidden(hidden).optClamp(clamp).build()).initialize(m,
                    DataType.FLOAT32);
            JvmDecoder decoder = JvmDecoder.of(lm);
            JvmDecoder.State state = decoder.newState();
            try (DecoderLM.Session session = lm.newSession(m, 1)) {
                for (int t = 0; t < 20; t++) {
                    int token = (t * 5 + 2) % 11;
                    float[] fast = decoder.step(state, token);
                    try (NDManager step = m.newSubManager()) {
                        NDArray logits = session.feed(step.create(new long[] {token}, new Shape(1, 1)), Form.RECURRENT);
                        float[] expected = logits.toFloatArray();
                        double scale = 1e-6;
                        for (float e : expected) {
                            scale = Math.max(scale, Math.abs(e));
                        }
                        for (int i = 0; i < expected.length; i++) {
                            assertEquals(expected[i], fast[i], 2e-5 * scale, kind + " logit " + i + " at step " + t);
                        }
                    }
                }
            }
            assertEquals(20, state.position());
        }
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.EnumSource(AttentionKind.class)
    void generationOnTheJvmPicksTheTokensOfTheSessionPath(AttentionKind kind) {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(54);
            DecoderLM lm = new DecoderLM(ModelConfigs.small(kind).setMaxLength(64).build()).initialize(m,
                    DataType.FLOAT32);
            for (Sampling sampling : new Sampling[] {Sampling.greedyDecoding(), Sampling.sample(0.9, 5, 0.95, 3)}) {
                lm.useJvmDecoder = false;
                int[] session = lm.generate(m, new int[] {1, 4, 2}, 40, sampling);
                lm.useJvmDecoder = true;
                int[] jvm = lm.generate(m, new int[] {1, 4, 2}, 40, sampling);
                org.junit.jupiter.api.Assertions.assertArrayEquals(session, jvm, kind + " " + sampling);
            }
        }
    }

    @Test
    void aCopiedStateContinuesIndependently() {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(52);
            DecoderLM lm = new DecoderLM(ModelConfigs.small(AttentionKind.LEAP).build()).initialize(m, DataType.FLOAT32);
            JvmDecoder decoder = JvmDecoder.of(lm);
            JvmDecoder.State a = decoder.newState();
            decoder.step(a, 3);
            decoder.step(a, 4);
            JvmDecoder.State b = a.copy();
            float[] fromA = decoder.step(a, 5);
            decoder.step(b, 9);
            JvmDecoder.State c = decoder.newState();
            decoder.step(c, 3);
            decoder.step(c, 4);
            float[] fromC = decoder.step(c, 5);
            for (int i = 0; i < fromA.length; i++) {
                assertEquals(fromC[i], fromA[i], 0f, "the copy's step left the original alone");
            }
        }
    }

    @Test
    void badTokensAndPositionsPastTheLimitAreRefused() {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(53);
            DecoderLM lm = new DecoderLM(ModelConfigs.small(AttentionKind.LEAP).setMaxLength(2)
                    .optPositions(Positions.LEARNED).build()).initialize(m, DataType.FLOAT32);
            JvmDecoder decoder = JvmDecoder.of(lm);
            JvmDecoder.State s = decoder.newState();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> decoder.step(s, 11));
            assertEquals("token: expected an id in [0, 11), found 11", e.getMessage());
            decoder.step(s, 1);
            decoder.step(s, 2);
            e = assertThrows(IllegalArgumentException.class, () -> decoder.step(s, 3));
            assertTrue(e.getMessage().startsWith("sequence length: expected at most 2 tokens (learned positions"),
                    e.getMessage());
        }
    }

    @Test
    void erfMatchesKnownValues() {
        assertEquals(0.0, JvmDecoder.erf(0), 1e-7);
        assertEquals(0.5204998778, JvmDecoder.erf(0.5), 2e-7);
        assertEquals(0.8427007929, JvmDecoder.erf(1), 2e-7);
        assertEquals(-0.9953222650, JvmDecoder.erf(-2), 2e-7);
        assertEquals(1.0, JvmDecoder.erf(6), 1e-9);
    }
}
