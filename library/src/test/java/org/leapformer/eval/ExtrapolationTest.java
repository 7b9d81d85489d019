package org.leapformer.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.leapformer.ManagedTest;
import org.leapformer.model.DecoderLM;
import org.leapformer.model.ModelConfig;
import org.leapformer.model.ModelConfigs;
import org.leapformer.model.Positions;
import org.leapformer.nn.AttentionKind;
import org.leapformer.nn.CosformerLength;
import org.leapformer.nn.LinearAttention;
import org.leapformer.ops.Form;
import org.leapformer.train.DataSources;
import org.leapformer.train.Tasks;
import org.leapformer.train.Trainer;
import org.leapformer.train.TrainingConfig;

/** The loss of a language model at 1×, 4× and 16× its training length, checked by hand and by stepping. */
class ExtrapolationTest extends ManagedTest {

    private static final int T = 16; // ModelConfigs.small's maxLength

    private static int[] text(int n, long seed) {
        Random r = new Random(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = 1 + r.nextInt(10); // V = 11, id 0 pads
        }
        return ids;
    }

    private static DecoderLM model(NDManager m, ModelConfig c, DataType type) {
        return new DecoderLM(c).initialize(m, type, 7);
    }

    @ParameterizedTest
    @EnumSource(AttentionKind.class)
    void atOneTimesItIsTheHandComputedLossAndTheTrainersTestLoss(AttentionKind kind) {
        try (NDManager m = manager.newSubManager()) {
            DecoderLM lm = model(m, ModelConfigs.small(kind).build(), DataType.FLOAT32);
            int[] ids = text(5 * T + 3, 1); // 5 windows and a tail left out
            Extrapolation.Report r = Extrapolation.builder().optMultiples(1).optBucketLength(4).optBatchTokens(2 * T)
                    .build().evaluate(m, lm, ids);
            // by hand: log-softmax of each window's logits in double precision, position by position
            double[] bucketLoss = new double[4];
            double total = 0;
            int hits = 0;
            for (int w = 0; w < 5; w++) {
                long[] in = new long[T];
                for (int j = 0; j < T; j++) {
                    in[j] = ids[w * T + j];
                }
                try (NDManager s = m.newSubManager()) {
                    float[] logits = lm.logits(s.create(in, new Shape(1, T))).toFloatArray();
                    for (int j = 0; j < T; j++) {
                        double max = Double.NEGATIVE_INFINITY;
                        int arg = 0;
                        for (int v = 0; v < 11; v++) {
                            if (logits[j * 11 + v] > max) {
                                max = logits[j * 11 + v];
                                arg = v;
                            }
                        }
                        double z = 0;
                        for (int v = 0; v < 11; v++) {
                            z += Math.exp(logits[j * 11 + v] - max);
                        }
                        int next = ids[w * T + j + 1];
                        double nll = max + Math.log(z) - logits[j * 11 + next];
                        total += nll;
                        bucketLoss[j / 4] += nll;
                        hits += arg == next ? 1 : 0;
                    }
                }
            }
            for (CosformerLength policy : kind == AttentionKind.COSFORMER
                    ? new CosformerLength[] {CosformerLength.TRAINING, CosformerLength.KNOWN}
                    : new CosformerLength[] {null}) {
                Extrapolation.Result one = r.result(policy, 1);
                assertEquals(5, one.windows());
                assertEquals(5 * T, one.tokens());
                assertEquals(total / (5 * T), one.loss(), 1e-5);
                assertEquals(hits / (5.0 * T), one.accuracy(), 1e-12);
                assertEquals(4, one.buckets().size());
                for (int b = 0; b < 4; b++) {
                    assertEquals(4 * b, one.buckets().get(b).from());
                    assertEquals(20, one.buckets().get(b).tokens());
                    assertEquals(bucketLoss[b] / 20, one.buckets().get(b).loss(), 1e-5);
                }
            }
            // the trainer's test loss on the same windows
            try (Trainer t = new Trainer(Tasks.languageModel(lm), TrainingConfig.builder().setSteps(1).build())) {
                Map<String, Double> test = t.evaluate(DataSources.languageModelEval(ids, T, 2));
                for (Extrapolation.Result one : r.results()) {
                    assertEquals(test.get("loss"), one.loss(), 1e-5);
                    assertEquals(test.get("accuracy"), one.accuracy(), 1e-12);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = AttentionKind.class, names = {"LEAP", "SOFTMAX", "RELU_LINEAR", "COSFORMER"})
    void pastTheWindowTheParallelPassEqualsStepping(AttentionKind kind) {
        try (NDManager m = manager.newSubManager()) {
            DecoderLM lm = model(m, ModelConfigs.small(kind).optPositions(Positions.SINUSOIDAL).build(),
                    DataType.FLOAT64);
            int[] ids = text(2 * 4 * T + 5, 2);
            Extrapolation.Report parallel = Extrapolation.builder().optMultiples(1, 4).build().evaluate(m, lm, ids);
            Extrapolation.Report stepped = Extrapolation.builder().optMultiples(1, 4).optForm(Form.RECURRENT).build()
                    .evaluate(m, lm, ids);
            assertEquals(kind == AttentionKind.COSFORMER ? 4 : 2, parallel.results().size());
            for (int i = 0; i < parallel.results().size(); i++) {
                Extrapolation.Result p = parallel.results().get(i);
                Extrapolation.Result s = stepped.results().get(i);
                assertTrue(p.applicable() && Double.isFinite(p.loss()), p.toString());
                assertEquals(p.multiple() == 4 ? 2 : 8, p.windows(), "windows of L tokens in " + ids.length);
                assertEquals(p.multiple(), p.buckets().size(), "buckets of T positions");
                assertEquals(p.loss(), s.loss(), 1e-9, p.label(T) + " at " + p.multiple() + "x");
                assertEquals(p.accuracy(), s.accuracy(), 1e-12);
                for (int b = 0; b < p.buckets().size(); b++) {
                    assertEquals(p.buckets().get(b).loss(), s.buckets().get(b).loss(), 1e-9);
                }
            }
        }
    }

    @Test
    void cosformerLengthUnknownAndKnownAgreeAtTheWindowAndDifferPastIt() {
        try (NDManager m = manager.newSubManager()) {
            DecoderLM lm = model(m, ModelConfigs.small(AttentionKind.COSFORMER).build(), DataType.FLOAT32);
            int[] ids = text(16 * T + 1, 3);
            Extrapolation.Report r = Extrapolation.builder().build().evaluate(m, lm, ids);
            assertEquals(6, r.results().size(), "two policies x (1, 4, 16)");
            assertEquals(r.result(CosformerLength.TRAINING, 1).loss(), r.result(CosformerLength.KNOWN, 1).loss(),
                    1e-12);
            for (int mult : new int[] {4, 16}) {
                double unknown = r.result(CosformerLength.TRAINING, mult).loss();
                double known = r.result(CosformerLength.KNOWN, mult).loss();
                assertTrue(Double.isFinite(unknown) && Double.isFinite(known));
                assertTrue(Math.abs(unknown - known) > 1e-4, mult + "x: " + unknown + " vs " + known);
            }
            assertEquals(1, r.result(CosformerLength.KNOWN, 16).windows());
            assertTrue(r.table().contains("cosformer (length unknown: N = 16)")
                    && r.table().contains("cosformer (length known: N = L)"), r.table());
            // the model evaluated is left as it was: still N = maxLength, capped
            assertEquals(CosformerLength.CAPPED, lm.config().cosformerLength());
            try (NDManager s = m.newSubManager()) {
                NDArray past = s.zeros(new Shape(1, T + 1), DataType.INT64);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> lm.logits(past));
                assertTrue(e.getMessage().contains("need N=maxLength=16"), e.getMessage());
            }
        }
    }

    @Test
    void learnedPositionsAreNotApplicablePastTheWindow() {
        try (NDManager m = manager.newSubManager()) {
            DecoderLM lm = model(m, ModelConfigs.small(AttentionKind.LEAP).optPositions(Positions.LEARNED).build(),
                    DataType.FLOAT32);
            Extrapolation.Report r = Extrapolation.builder().optMultiples(1, 4).build().evaluate(m, lm,
                    text(4 * T + 1, 4));
            assertTrue(r.result(null, 1).applicable());
            Extrapolation.Result four = r.result(null, 4);
            assertFalse(four.applicable());
            assertEquals("not applicable (learned positions stop at maxLength=16)", four.notApplicable());
            assertEquals(0, four.windows());
            assertTrue(r.table().contains("not applicable (learned positions stop at maxLength=16)"), r.table());
            assertTrue(r.toJson().toString().contains("\"notApplicable\":\"not applicable"), r.toJson().toString());
            assertNull(r.result(null, 1).notApplicable());
        }
    }

    @Test
    void textTooShortForOneWindowIsRefused() {
        try (NDManager m = manager.newSubManager()) {
            DecoderLM lm = model(m, ModelConfigs.small(AttentionKind.LEAP).build(), DataType.FLOAT32);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Extrapolation.builder().optMultiples(1, 4).build().evaluate(m, lm, text(4 * T, 5)));
            assertEquals("extrapolation at 4x the training length T = 16 (L = 64 tokens): expected at least L + 1 = 65 "
                    + "held-out tokens for one window, found 64 (evaluate smaller multiples or more text)", e.getMessage());
            IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                    () -> Extrapolation.builder().optMultiples(1, 1));
            assertTrue(twice.getMessage().contains("distinct"), twice.getMessage());
        }
    }

    @Test
    void cosformerProportionsUnderEachLengthPolicy() {
        try (NDManager m = manager.newSubManager()) {
            NDArray q = m.randomUniform(-1, 1, new Shape(1, 2, 8, 4));
            LinearAttention training = LinearAttention.builder().setKind(AttentionKind.COSFORMER).setHeadDim(4)
                    .optCausal(true).optSequenceLength(4).optCosformerLength(CosformerLength.TRAINING).build();
            assertArrayEquals(new float[] {0.25f, 0.5f, 0.75f, 1f, 1.25f, 1.5f, 1.75f, 2f},
                    training.queryProportions(q).toFloatArray(), 1e-7f, "N = 4 kept past it");
            LinearAttention known = LinearAttention.builder().setKind(AttentionKind.COSFORMER).setHeadDim(4)
                    .optCausal(true).optSequenceLength(4).optCosformerLength(CosformerLength.KNOWN).build();
            assertArrayEquals(new float[] {0.125f, 0.25f, 0.375f, 0.5f, 0.625f, 0.75f, 0.875f, 1f},
                    known.queryProportions(q).toFloatArray(), 1e-7f, "N = the sequence's 8");
            LinearAttention capped = LinearAttention.builder().setKind(AttentionKind.COSFORMER).setHeadDim(4)
                    .optCausal(true).optSequenceLength(4).build();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> capped.queryProportions(q));
            assertTrue(e.getMessage().contains("at most the declared length N=4"), e.getMessage());
            // KNOWN takes N from a whole sequence: a continuation is refused, saying so
            var first = known.causal(q, q, q, null, Form.CHUNKED);
            IllegalStateException c = assertThrows(IllegalStateException.class,
                    () -> known.causal(q, q, q, first.state(), Form.RECURRENT));
            assertTrue(c.getMessage().contains("expected position 0, found a continuation at position 8"),
                    c.getMessage());
            first.state().close();
        }
    }

    @Test
    void theCosformerLengthIsSavedWithTheConfigurationAndOldOnesReadAsCapped() {
        ModelConfig known = ModelConfigs.small(AttentionKind.COSFORMER).optCosformerLength(CosformerLength.KNOWN)
                .build();
        assertEquals(known, ModelConfig.fromJson(known.toJson().toString()));
        var old = ModelConfigs.small(AttentionKind.COSFORMER).build().toJson();
        old.remove("cosformerLength");
        assertEquals(CosformerLength.CAPPED, ModelConfig.fromJson(old).cosformerLength());
        assertEquals(16, ModelConfigs.small(AttentionKind.COSFORMER).build().lengthLimit());
        assertEquals(Long.MAX_VALUE, ModelConfigs.small(AttentionKind.COSFORMER)
                .optCosformerLength(CosformerLength.TRAINING).build().lengthLimit());
    }
}
