package org.leapformer.inspect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.leapformer.ManagedTest;
import org.leapformer.TestSupport;
import org.leapformer.model.DecoderLM;
import org.leapformer.model.EncoderClassifier;
import org.leapformer.model.ModelConfigs;
import org.leapformer.nn.AttentionKind;
import org.leapformer.nn.LinearAttention;

/** A trace is the model's own forward pass, seen layer by layer. */
class TraceTest extends ManagedTest {

    private static DecoderLM lm(NDManager m, AttentionKind kind) {
        TestSupport.seed(21);
        return new DecoderLM(ModelConfigs.small(kind).build()).initialize(m, DataType.FLOAT32);
    }

    private static EncoderClassifier classifier(NDManager m, AttentionKind kind) {
        TestSupport.seed(22);
        return new EncoderClassifier(ModelConfigs.small(kind).optNumClasses(3).build()).initialize(m, DataType.FLOAT32);
    }

    private static NDArray ids(NDManager m, long b, long n) {
        TestSupport.seed(23);
        return m.randomInteger(1, 11, new Shape(b, n), DataType.INT64);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(AttentionKind.class)
    void aLanguageModelTraceHasTheModelsLogitsAndWeightsThatReproduceEachLayersAttention(AttentionKind kind) {
        try (NDManager m = manager.newSubManager()) {
            DecoderLM model = lm(m, kind);
            NDArray x = ids(m, 2, 13); // the chunk size 4 does not divide 13
            try (Trace t = Trace.of(model, x, m)) {
                TestSupport.assertClose(model.logits(x), t.logits(), 1e-6, kind + " logits");
                assertEquals(2, t.layerCount());
                for (LayerTrace l : t.layers()) {
                    assertEquals(new Shape(2, 13, 16), l.input().getShape());
                    assertEquals(new Shape(2, 2, 13, 8), l.q().getShape());
                    NDArray w = l.weights();
                    assertEquals(new Shape(2, 2, 13, 13), w.getShape());
                    TestSupport.assertClose(l.attention(), w.matMul(l.v()), 1e-5, kind + " layer " + l.index()
                            + ": weights · v is the attention output");
                    float[] row0 = l.values(LayerTrace.Quantity.WEIGHTS).row(0, 0, 0);
                    for (int j = 1; j < 13; j++) {
                        assertEquals(0f, row0[j], 0f, "causal: token 0 gives nothing to key " + j);
                    }
                }
                TestSupport.assertClose(t.layer(0).output(), t.layer(1).input(), 0, "layer 1 reads layer 0's output");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(AttentionKind.class)
    void aClassifierTraceMasksPaddingAsTheModelDoes(AttentionKind kind) {
        try (NDManager m = manager.newSubManager()) {
            EncoderClassifier model = classifier(m, kind);
            NDArray x = m.create(new long[] {3, 4, 5, 6, 7, 0, 0, 2, 9, 9, 1, 3, 5, 8}, new Shape(2, 7));
            try (Trace t = Trace.of(model, x, m)) {
                TestSupport.assertClose(model.logits(x), t.logits(), 1e-6, kind + " logits");
                assertArrayEquals(new float[] {1, 1, 1, 1, 1, 0, 0}, Values.of(t.keyMask()).row(0));
                LayerTrace l = t.layer(1);
                TestSupport.assertClose(l.attention(), l.weights().matMul(l.v()), 1e-5, kind + " weights · v");
                float[] row = l.values(LayerTrace.Quantity.WEIGHTS).row(0, 1, 2);
                assertEquals(0f, row[5], 0f, "padding gets no weight");
                assertEquals(0f, row[6], 0f, "padding gets no weight");
                assertTrue(row[6 - 2] > 0, "a real key gets weight");
            }
        }
    }

    @Test
    void leapProportionsAreTheLayersOwnAndTheReweightingMapIsTheirCosineDifference() {
        try (NDManager m = manager.newSubManager()) {
            DecoderLM model = lm(m, AttentionKind.LEAP);
            try (Trace t = Trace.of(model, new int[] {1, 5, 2, 7, 3, 3, 9}, m)) {
                LayerTrace l = t.layer(1);
                LinearAttention core = (LinearAttention) model.layers().get(1).attention().core();
                TestSupport.assertClose(core.queryProportions(l.q()), l.queryProportions(), 0, "p_q");
                TestSupport.assertClose(core.keyProportions(l.k()), l.keyProportions(), 0, "p_k");
                Values pq = l.values(LayerTrace.Quantity.QUERY_PROPORTIONS);
                Values pk = l.values(LayerTrace.Quantity.KEY_PROPORTIONS);
                Values map = l.values(LayerTrace.Quantity.REWEIGHTING);
                assertArrayEquals(new long[] {1, 2, 7, 7}, map.shape());
                for (int i = 0; i < 7; i++) {
                    for (int j = 0; j < 7; j++) {
                        double expected = Math.cos(Math.PI / 2 * (pq.get(0, 1, i, 0) - pk.get(0, 1, j, 0)));
                        assertEquals(expected, map.get(0, 1, i, j), 1e-6, "map(" + i + ", " + j + ")");
                    }
                }
            }
        }
    }

    @Test
    void cosFormerProportionsArePositionOverLengthInTheSameShape() {
        try (NDManager m = manager.newSubManager()) {
            DecoderLM model = lm(m, AttentionKind.COSFORMER); // causal cosFormer: N = maxLength = 16
            try (Trace t = Trace.of(model, new int[] {1, 2, 3, 4}, m)) {
                Values p = t.layer(0).values(LayerTrace.Quantity.QUERY_PROPORTIONS);
                assertArrayEquals(new long[] {1, 2, 4, 1}, p.shape());
                for (int i = 0; i < 4; i++) {
                    assertEquals((i + 1) / 16.0, p.get(0, 1, i, 0), 1e-7);
                }
            }
        }
    }

    @Test
    void badRequestsAreRefusedWithWhatWasExpected() {
        try (NDManager m = manager.newSubManager()) {
            DecoderLM relu = lm(m, AttentionKind.RELU_LINEAR);
            try (Trace t = Trace.of(relu, new int[] {1, 2, 3}, m)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.layer(2));
                assertEquals("layer index: expected 0..1, found 2", e.getMessage());
                IllegalStateException s = assertThrows(IllegalStateException.class, () -> t.layer(0).queryProportions());
                assertTrue(s.getMessage().contains("expected a LEAP or COSFORMER attention, found RELU_LINEAR"));
                e = assertThrows(IllegalArgumentException.class, () -> t.layer(0).values(LayerTrace.Quantity.Q)
                        .get(0, 2, 0, 0));
                assertTrue(e.getMessage().startsWith("index 1: expected 0..1"), e.getMessage());
            }
            DecoderLM leap = lm(m, AttentionKind.LEAP);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Trace.of(leap, new int[] {1, 11}, m));
            assertTrue(e.getMessage().contains("token ids: expected ids in [0, 11)"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Trace.of(leap, new int[0], m));
            assertTrue(e.getMessage().contains("token ids: expected at least one token"), e.getMessage());
            int[] longer = new int[Trace.MAX_MATRIX_TOKENS + 1];
            java.util.Arrays.fill(longer, 3);
            try (Trace t = Trace.of(leap, longer, m)) {
                assertEquals(new Shape(1, 2, longer.length, 1), t.layer(0).queryProportions().getShape(),
                        "per-token quantities of a long sequence are fine");
                e = assertThrows(IllegalArgumentException.class, () -> t.layer(0).weights());
                assertTrue(e.getMessage().startsWith("attention weights of layer 0: expected at most "
                        + "Trace.MAX_MATRIX_TOKENS=2048 tokens"), e.getMessage());
                assertTrue(e.getMessage().endsWith("found N=2049"), e.getMessage());
            }
        }
    }

    @Test
    void aTraceOwnsItsMemoryAndFreesItOnClose() {
        try (NDManager m = manager.newSubManager()) {
            DecoderLM model = lm(m, AttentionKind.LEAP);
            int before = m.getManagedArrays().size();
            Trace t = Trace.of(model, new int[] {1, 2, 3, 4, 5}, m);
            NDArray logits = t.logits();
            NDArray w = t.layer(1).weights();
            t.close();
            assertTrue(logits.isReleased() && w.isReleased(), "the trace's arrays are released");
            assertEquals(before, m.getManagedArrays().size(), "nothing left behind");
        }
    }
}
