package org.leapformer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.leapformer.LeapEngine;
import org.leapformer.TestSupport;
import org.leapformer.nn.AttentionKind;
import org.leapformer.ops.Form;
import org.leapformer.ops.LinearSpec;
import org.leapformer.ops.WaitK;

/**
 * The wait-k cross-attention forms against their masked reference (outputs and gradients, odd
 * lengths, padding), the translator's training form against its quadratic twin, and streaming
 * decoding against the parallel pass under the same policy.
 */
class SimulTranslatorTest {

    private static final long[] LAGS = {1, 2, 3, 7, WaitK.OFFLINE};

    @ParameterizedTest
    @ValueSource(strings = {"CHUNKED", "RECURRENT"})
    void waitKLinearEqualsTheMaskedReferenceWithGradients(String formName) {
        Form form = Form.valueOf(formName);
        try (NDManager m = LeapEngine.newManager()) {
            TestSupport.seed(5);
            // T=9 target positions, S=6 source tokens (T > S: late targets see everything), chunk 4
            NDArray fq = m.randomUniform(0f, 1f, new Shape(2, 2, 9, 6), DataType.FLOAT64);
            NDArray fk = m.randomUniform(0f, 1f, new Shape(2, 2, 6, 6), DataType.FLOAT64);
            NDArray v = TestSupport.normal(m, DataType.FLOAT64, 0, 2, 2, 6, 3);
            NDArray mask = m.create(new float[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, new Shape(2, 6));
            LinearSpec spec = LinearSpec.reweighted().withChunkSize(4);
            NDArray r = TestSupport.normal(m, DataType.FLOAT64, 0, 2, 2, 9, 3);
            for (long k : LAGS) {
                NDArray expected = WaitK.linearQuadratic(fq, fk, v, mask, k, spec);
                NDArray actual = WaitK.linear(form, fq, fk, v, mask, k, spec);
                TestSupport.assertClose(expected, actual, 1e-10, form + " k=" + k + " output");
                List<Pair<String, NDArray>> ge = TestSupport.gradients(m, null, new NDList(fq, fk, v), r,
                        in -> WaitK.linearQuadratic(in.get(0), in.get(1), in.get(2), mask, k, spec));
                List<Pair<String, NDArray>> ga = TestSupport.gradients(m, null, new NDList(fq, fk, v), r,
                        in -> WaitK.linear(form, in.get(0), in.get(1), in.get(2), mask, k, spec));
                TestSupport.assertGradientsClose(ge, ga, 1e-9, form + " k=" + k);
            }
        }
    }

    @Test
    void theReferenceReadsExactlyMinOfTPlusKAndSSourceTokens() {
        try (NDManager m = LeapEngine.newManager()) {
            TestSupport.seed(6);
            long s = 5;
            NDArray fq = m.randomUniform(0.5f, 1f, new Shape(1, 1, 8, 4), DataType.FLOAT64);
            NDArray fk = m.randomUniform(0.5f, 1f, new Shape(1, 1, s, 4), DataType.FLOAT64);
            NDArray eye = m.eye((int) s).toType(DataType.FLOAT64, false).reshape(1, 1, s, s);
            for (long k : new long[] {1, 3}) {
                // the identity as values gives the weights themselves
                double[] w = WaitK.linearQuadratic(fq, fk, eye, null, k, LinearSpec.reweighted().withClamp(null))
                        .toDoubleArray();
                double[] sw = WaitK.softmax(fq, fk, eye, null, k, 0.5).toDoubleArray();
                for (int t = 0; t < 8; t++) {
                    long visible = WaitK.visible(t, k, s);
                    assertEquals(Math.min(t + k, s), visible);
                    double sum = 0;
                    double softSum = 0;
                    for (int j = 0; j < s; j++) {
                        double x = w[(int) (t * s + j)];
                        double y = sw[(int) (t * s + j)];
                        if (j >= visible) {
                            assertEquals(0.0, x, 0.0, "k=" + k + " t=" + t + " reads source " + j);
                            assertEquals(0.0, y, 1e-12, "softmax k=" + k + " t=" + t + " reads source " + j);
                        }
                        sum += x;
                        softSum += y;
                    }
                    assertEquals(1.0, sum, 1e-12, "row " + t + " sums to 1");
                    assertEquals(1.0, softSum, 1e-12, "softmax row " + t + " sums to 1");
                }
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> WaitK.linear(Form.CHUNKED, fq, fk, fk, null, 0, LinearSpec.reweighted()));
            assertTrue(e.getMessage().contains("wait-k lag"), e.getMessage());
        }
    }

    private static SimulTranslator model(NDManager m, AttentionKind kind) {
        TestSupport.seed(9);
        return new SimulTranslator(ModelConfigs.small(kind).setMaxLength(32).build()).initialize(m, DataType.FLOAT64);
    }

    @ParameterizedTest
    @EnumSource(value = AttentionKind.class, names = {"LEAP", "RELU_LINEAR"})
    void theTrainingFormEqualsTheQuadraticReferenceWithGradients(AttentionKind kind) {
        try (NDManager m = LeapEngine.newManager()) {
            SimulTranslator model = model(m, kind);
            NDArray src = m.create(new long[] {3, 4, 5, 6, 7, 8, 9, 2, 5, 6, 1, 1, 0, 0}, new Shape(2, 7));
            NDArray mask = m.create(new float[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, new Shape(2, 7));
            NDArray tgt = m.create(new long[] {2, 9, 8, 7, 6, 5, 4, 3, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10}, new Shape(2, 9));
            ParameterStore ps = new ParameterStore(m, false);
            NDArray r = TestSupport.normal(m, DataType.FLOAT64, 0, 2, 9, 11);
            for (long k : new long[] {1, 3, WaitK.OFFLINE}) {
                NDArray ref = model.logits(ps, src, mask, tgt, k, Form.QUADRATIC, false);
                NDArray chunked = model.logits(ps, src, mask, tgt, k, Form.CHUNKED, false);
                TestSupport.assertClose(ref, chunked, 1e-9, kind + " k=" + k + " logits");
                var ge = TestSupport.gradients(m, model, new NDList(), r,
                        in -> model.logits(ps, src, mask, tgt, k, Form.QUADRATIC, true));
                var ga = TestSupport.gradients(m, model, new NDList(), r,
                        in -> model.logits(ps, src, mask, tgt, k, Form.CHUNKED, true));
                TestSupport.assertGradientsClose(ge, ga, 1e-8, kind + " k=" + k);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = AttentionKind.class, names = {"LEAP", "RELU_LINEAR", "SOFTMAX"})
    void streamingUnderWaitKEqualsTheParallelPass(AttentionKind kind) {
        try (NDManager m = LeapEngine.newManager()) {
            SimulTranslator model = model(m, kind);
            long[] src = {3, 4, 5, 6, 7, 8, 9};
            long[] tgt = {2, 9, 8, 7, 6, 5, 4, 3, 10, 1};
            for (long k : new long[] {1, 3, WaitK.OFFLINE}) {
                NDArray parallel = model.logits(m.create(src, new Shape(1, src.length)), null,
                        m.create(tgt, new Shape(1, tgt.length)), k);
                try (SimulTranslator.Stream stream = model.newStream(m, 1)) {
                    long bytes = -1;
                    for (int t = 0; t < tgt.length; t++) {
                        long needed = WaitK.visible(t, k, src.length);
                        while (stream.sourceLength() < needed) {
                            try (NDManager step = m.newSubManager()) {
                                stream.read(step.create(new long[] {src[(int) stream.sourceLength()]}, new Shape(1, 1)));
                            }
                        }
                        try (NDManager step = m.newSubManager()) {
                            NDArray logits = stream.write(step.create(new long[] {tgt[t]}, new Shape(1, 1)));
                            NDArray expected = parallel.get("0, {}", t);
                            TestSupport.assertClose(expected, logits.get("0, 0"), 1e-9,
                                    kind + " k=" + k + " position " + t);
                        }
                        if (kind != AttentionKind.SOFTMAX && stream.sourceLength() == src.length) {
                            if (bytes >= 0) {
                                assertEquals(bytes, stream.crossStateBytes(), "a linear cross state keeps its size");
                            }
                            bytes = stream.crossStateBytes();
                        }
                    }
                }
            }
        }
    }

    @Test
    void cosFormerIsRefusedWithTheReasonAndAWriteBeforeAnyReadIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SimulTranslator(ModelConfigs.small(AttentionKind.COSFORMER).build()));
        assertTrue(e.getMessage().contains("neither the source length nor the target length is known"),
                e.getMessage());
        try (NDManager m = LeapEngine.newManager()) {
            SimulTranslator model = model(m, AttentionKind.LEAP);
            try (SimulTranslator.Stream s = model.newStream(m, 1)) {
                IllegalStateException w = assertThrows(IllegalStateException.class,
                        () -> s.write(m.create(new long[] {2}, new Shape(1, 1))));
                assertTrue(w.getMessage().startsWith("write: expected at least one source token read first"),
                        w.getMessage());
            }
            IllegalArgumentException ids = assertThrows(IllegalArgumentException.class, () -> model.logits(
                    m.create(new long[] {3, 40}, new Shape(1, 2)), null, m.create(new long[] {2}, new Shape(1, 1)), 1));
            assertTrue(ids.getMessage().contains("source ids"), ids.getMessage());
        }
    }

    @Test
    void crossWeightsShowWhatEachTargetTokenRead() {
        try (NDManager m = LeapEngine.newManager()) {
            SimulTranslator model = model(m, AttentionKind.LEAP);
            NDArray src = m.create(new long[] {3, 4, 5, 6, 7}, new Shape(1, 5));
            NDArray tgt = m.create(new long[] {2, 9, 8, 7, 6, 5}, new Shape(1, 6));
            double[] w = model.crossWeights(src, tgt, 2, 1).toType(DataType.FLOAT64, false).toDoubleArray();
            assertEquals(2 * 6 * 5, w.length);
            for (int t = 0; t < 6; t++) {
                for (int j = 0; j < 5; j++) {
                    if (j >= WaitK.visible(t, 2, 5)) {
                        assertEquals(0.0, w[t * 5 + j], 0.0, "head 0, target " + t + " source " + j);
                    }
                }
            }
        }
    }
}
