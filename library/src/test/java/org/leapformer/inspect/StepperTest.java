package org.leapformer.inspect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.leapformer.ManagedTest;
import org.leapformer.TestSupport;
import org.leapformer.model.DecoderLM;
import org.leapformer.model.ModelConfigs;
import org.leapformer.model.Positions;
import org.leapformer.model.Sampling;
import org.leapformer.nn.AttentionKind;
import org.leapformer.nn.LinearAttention;
import org.leapformer.ops.AttentionOutput;
import org.leapformer.ops.Form;
import org.leapformer.ops.LinearState;

/** Stepping a model or a layer token by token is its parallel pass, seen one token at a time. */
class StepperTest extends ManagedTest {

    private static final int[] TOKENS = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5};

    private static DecoderLM lm(NDManager m, AttentionKind kind, int maxLength) {
        TestSupport.seed(31);
        return new DecoderLM(ModelConfigs.small(kind).setMaxLength(maxLength).build()).initialize(m, DataType.FLOAT32);
    }

    private static void close(float[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double scale = 1e-6;
        for (float e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= tol * scale, what + "[" + i + "]: " + expected[i] + " vs "
                    + actual[i]);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(AttentionKind.class)
    void everyStepHasTheParallelPassesLogitsProportionsAttentionRowAndOutput(AttentionKind kind) {
        try (NDManager m = manager.newSubManager()) {
            DecoderLM model = lm(m, kind, 16);
            try (Trace t = Trace.of(model, TOKENS, m); Stepper s = Stepper.of(model, m, true)) {
                List<Stepper.Step> steps = s.feed(TOKENS);
                Values logits = t.logitsValues();
                for (int p = 0; p < TOKENS.length; p++) {
                    Stepper.Step st = steps.get(p);
                    assertEquals(p, st.position());
                    close(logits.row(0, p), st.logits(), 1e-5, kind + " logits at " + p);
                    for (int layer = 0; layer < 2; layer++) {
                        LayerTrace lt = t.layer(layer);
                        LayerStep ls = st.layer(layer);
                        Values weights = lt.values(LayerTrace.Quantity.WEIGHTS);
                        Values att = lt.values(LayerTrace.Quantity.ATTENTION);
                        for (int h = 0; h < 2; h++) {
                            float[] row = java.util.Arrays.copyOf(weights.row(0, h, p), p + 1);
                            close(row, ls.attentionRow(0, h), 1e-5, kind + " row " + p + " head " + h);
                            float[] out = new float[8];
                            for (int d = 0; d < 8; d++) {
                                out[d] = att.get(0, h, p, d);
                            }
                            close(out, ls.output().row(0, h), 1e-5, kind + " output " + p);
                            if (kind == AttentionKind.LEAP || kind == AttentionKind.COSFORMER) {
                                assertEquals(lt.values(LayerTrace.Quantity.QUERY_PROPORTIONS).get(0, h, p, 0),
                                        ls.queryProportion(0, h), 1e-6, kind + " p_q at " + p);
                                assertEquals(lt.values(LayerTrace.Quantity.KEY_PROPORTIONS).get(0, h, p, 0),
                                        ls.keyProportion(0, h), 1e-6, kind + " p_k at " + p);
                            }
                        }
                        if (kind.isLinear()) {
                            assertTrue(ls.denominator().get(0, 0) > 0, "a positive denominator");
                            assertEquals(kind == AttentionKind.RELU_LINEAR ? List.of("S", "z")
                                    : List.of("S_sin", "z_sin", "S_cos", "z_cos"), List.copyOf(ls.stateNorms().keySet()));
                        } else {
                            assertTrue(ls.stateNorms().isEmpty() && ls.denominator() == null);
                        }
                    }
                }
            }
        }
    }

    @Test
    void theStateNormsAndDenominatorAreThoseOfTheStateAfterTheToken() {
        try (NDManager m = manager.newSubManager()) {
            DecoderLM model = lm(m, AttentionKind.LEAP, 16);
            try (Stepper s = Stepper.of(model, m); DecoderLM.Session session = model.newSession(m, 1)) {
                s.feed(3, 1, 4);
                LayerStep ls = s.step(1).layer(1);
                for (int t : new int[] {3, 1, 4, 1}) {
                    try (NDManager step = m.newSubManager()) {
                        session.feed(step.create(new long[] {t}, new Shape(1, 1)), Form.RECURRENT);
                    }
                }
                LinearState state = (LinearState) session.state(1);
                try (NDArray sCos = state.s(1); NDArray sq = sCos.square(); NDArray sum = sq.sum(new int[] {2, 3});
                        NDArray norm = sum.sqrt()) {
                    assertEquals(norm.getFloat(0, 1), ls.stateNorms().get("S_cos").get(0, 1), 1e-5);
                }
            }
        }
    }

    @Test
    void aForkContinuesIndependentlyAndEqualsAFreshRunOfTheSamePrefix() {
        try (NDManager m = manager.newSubManager()) {
            DecoderLM model = lm(m, AttentionKind.LEAP, 16);
            try (Stepper a = Stepper.of(model, m, true)) {
                a.feed(3, 1, 4, 1);
                float[] forked;
                float[] original;
                try (Stepper b = a.fork()) {
                    assertEquals(4, b.length());
                    forked = b.step(9).logits();
                    assertEquals(5, b.length());
                    assertEquals(5, b.last().layer(0).attentionRow(0, 0).length, "kept keys are forked too");
                }
                assertEquals(4, a.length(), "the fork did not move the original");
                original = a.step(2).logits();
                try (Stepper fresh = Stepper.of(model, m)) {
                    fresh.feed(3, 1, 4, 1);
                    close(fresh.step(9).logits(), forked, 1e-6, "fork + 9 = fresh prefix + 9");
                }
                try (Stepper fresh = Stepper.of(model, m)) {
                    fresh.feed(3, 1, 4, 1);
                    close(fresh.step(2).logits(), original, 1e-6, "original + 2 = fresh prefix + 2");
                }
                assertNotEquals(forked[0], original[0], "two continuations differ");
            }
        }
    }

    @Test
    void generationFromTheStepperIsTheModelsGeneration() {
        try (NDManager m = manager.newSubManager()) {
            DecoderLM model = lm(m, AttentionKind.LEAP, 32);
            int[] expected = model.generate(m, new int[] {2, 7}, 10, Sampling.sample(0.9, 5, 0.9, 4));
            try (Stepper s = Stepper.of(model, m)) {
                s.feed(2, 7);
                int[] got = s.generate(10, Sampling.sample(0.9, 5, 0.9, 4)).stream().mapToInt(Stepper.Step::token)
                        .toArray();
                assertArrayEquals(expected, got);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Positions.class, names = {"SINUSOIDAL", "NONE"})
    void steppingRunsPastTheTrainingWindowAndStillEqualsTheParallelPass(Positions positions) {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(32);
            DecoderLM model = new DecoderLM(ModelConfigs.small(AttentionKind.LEAP).setMaxLength(8)
                    .optPositions(positions).build()).initialize(m, DataType.FLOAT32);
            int[] tokens = new int[30];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = (i * 7 + 3) % 11;
            }
            try (Trace t = Trace.of(model, tokens, m); Stepper s = Stepper.of(model, m)) {
                List<Stepper.Step> steps = s.feed(tokens);
                for (int p = 0; p < tokens.length; p++) {
                    close(t.logitsValues().row(0, p), steps.get(p).logits(), 1e-5, positions + " logits at " + p);
                }
            }
        }
    }

    @Test
    void learnedPositionsStopAtTheWindowWithAClearMessage() {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(33);
            DecoderLM model = new DecoderLM(ModelConfigs.small(AttentionKind.LEAP).setMaxLength(4)
                    .optPositions(Positions.LEARNED).build()).initialize(m, DataType.FLOAT32);
            try (Stepper s = Stepper.of(model, m)) {
                s.feed(1, 2, 3, 4);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.step(5));
                assertEquals("sequence length: expected at most 4 tokens (learned positions end at maxLength=4), "
                        + "found positions up to 5", e.getMessage());
                assertEquals(4, s.length(), "a refused token does not advance the stepper");
            }
        }
    }

    @Test
    void badRequestsAreRefusedNamingWhatWasExpected() {
        try (NDManager m = manager.newSubManager()) {
            DecoderLM model = lm(m, AttentionKind.LEAP, 16);
            try (Stepper s = Stepper.of(model, m)) {
                IllegalStateException g = assertThrows(IllegalStateException.class,
                        () -> s.generate(3, Sampling.greedyDecoding()));
                assertTrue(g.getMessage().contains("feed at least one token first"), g.getMessage());
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.step(11));
                assertEquals("token: expected ids in [0, 11) (the vocabulary has 11 entries), found 11 at position 0",
                        e.getMessage());
                Stepper.Step st = s.step(3);
                e = assertThrows(IllegalArgumentException.class, () -> st.layer(2));
                assertEquals("layer index: expected 0..1, found 2", e.getMessage());
                IllegalStateException r = assertThrows(IllegalStateException.class,
                        () -> st.layer(0).attentionRow(0, 0));
                assertTrue(r.getMessage().contains("expected a stepper that keeps past keys"), r.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> st.layer(0).queryProportion(0, 2));
                assertEquals("head index: expected 0..1, found 2", e.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> st.layer(0).keyProportion(1, 0));
                assertEquals("sequence index: expected 0..0, found 1", e.getMessage());
            }
        }
    }

    @Test
    void withoutKeptKeysMemoryPerStepIsConstantAndNothingLeaks() {
        try (NDManager m = manager.newSubManager()) {
            DecoderLM model = lm(m, AttentionKind.LEAP, 16);
            try (Stepper s = Stepper.of(model, m)) {
                int atTen = 0;
                for (int i = 0; i < 400; i++) {
                    s.step(i % 11);
                    if (i == 9) {
                        atTen = m.getManagedArrays().size();
                    }
                }
                assertEquals(atTen, m.getManagedArrays().size(), "arrays alive after 10 and after 400 steps");
            }
            assertEquals(0, m.getManagedArrays().size() - countModel(model), "the stepper released everything");
        }
    }

    private static int countModel(DecoderLM model) {
        return (int) model.getParameters().stream().filter(p -> p.getValue().isInitialized()).count();
    }

    @Test
    void aLayerStepsThroughASequenceInOneCallAndMatchesTheOtherForms() {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(34);
            LinearAttention attention = LinearAttention.builder().setHeadDim(8).optLeapHidden(4).optChunkSize(4).build();
            attention.initialize(m, DataType.FLOAT32);
            NDArray q = m.randomNormal(new Shape(2, 3, 11, 8));
            NDArray k = m.randomNormal(new Shape(2, 3, 11, 8));
            NDArray v = m.randomNormal(new Shape(2, 3, 11, 8));
            AttentionOutput<LinearState> chunked = attention.causal(q, k, v, null, Form.CHUNKED);
            try (LayerStepper.Run run = LayerStepper.run(attention, q, k, v, true)) {
                TestSupport.assertClose(chunked.output(), run.output(), 1e-5, "output");
                LinearState end = (LinearState) run.state();
                TestSupport.assertClose(chunked.state().s(), end.s(), 1e-5, "final S");
                assertEquals(11, run.steps().size());
                LayerStep last = run.step(10);
                assertEquals(11, last.attentionRow(1, 2).length);
                float sum = 0;
                for (float w : last.attentionRow(1, 2)) {
                    sum += w;
                }
                assertTrue(last.denominator().get(1, 2) < 0.1 || Math.abs(sum - 1) < 1e-4,
                        "a row sums to 1 unless the clamp is active: " + sum);
                try (NDArray pq = attention.queryProportions(q)) {
                    assertEquals(pq.getFloat(1, 2, 10, 0), last.queryProportion(1, 2), 1e-6);
                }
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run.step(11));
                assertEquals("token index: expected 0..10, found 11", e.getMessage());
            }
            chunked.state().close();
        }
    }
}
