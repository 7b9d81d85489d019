package org.leapformer.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.leapformer.TestSupport.assertClose;
import static org.leapformer.TestSupport.normal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import org.junit.jupiter.api.Test;
import org.leapformer.ManagedTest;
import org.leapformer.TestSupport;
import org.leapformer.nn.AttentionKind;
import org.leapformer.nn.LinearAttention;
import org.leapformer.nn.SoftmaxAttention;

/** cosFormer, ReLU-linear and softmax baselines against independent formulas. */
class BaselinesTest extends ManagedTest {


    @Test
    void cosformerEqualsLeapWithProportionsForcedToPositionsOverN() {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(3);
            int n = 19;
            DataType t = DataType.FLOAT64;
            NDArray q = normal(m, t, 0, 2, 2, n, 4);
            NDArray k = normal(m, t, 0, 2, 2, n, 4);
            NDArray v = normal(m, t, 0, 2, 2, n, 4);
            LinearSpec spec = LinearSpec.reweighted();
            // LeaP's feature map with its proportion functions replaced by i/N
            FeatureMap forced = FeatureMaps.leap(x -> FeatureMaps.positions(x, 0, (long) n),
                    x -> FeatureMaps.positions(x, 0, (long) n));
            LinearAttention cos = LinearAttention.builder().setKind(AttentionKind.COSFORMER).setHeadDim(4)
                    .optSequenceLength(n).build();
            NDArray fq = forced.queries(q, 0);
            NDArray fk = forced.keys(k, 0);
            for (Form form : Form.values()) {
                assertClose(LinearForms.causal(form, fq, fk, v, null, spec).output(),
                        cos.causal(q, k, v, null, form).output(), 1e-12, "causal " + form);
            }
            assertClose(LinearForms.bidirectional(fq, fk, v, null, spec).output(), cos.bidirectional(q, k, v, null), 1e-12,
                    "bidirectional");
            // and both equal the explicit formula relu(q)·relu(k)·cos(π/2·(i−j)/N)
            assertClose(explicitCosformer(m, q, k, v, n, true), cos.causal(q, k, v, null, Form.CHUNKED).output(), 1e-12,
                    "explicit causal");
            assertClose(explicitCosformer(m, q, k, v, n, false), cos.bidirectional(q, k, v, null), 1e-12,
                    "explicit bidirectional");
        }
    }

    private static NDArray explicitCosformer(NDManager m, NDArray q, NDArray k, NDArray v, int n, boolean causal) {
        double[] w = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                w[i * n + j] = (causal && j > i) ? 0 : Math.cos(Math.PI / 2 * (i - j) / n);
            }
        }
        NDArray weight = m.create(w, new Shape(n, n)).duplicate();
        NDArray scores = Activation.relu(q).matMul(Activation.relu(k).swapAxes(2, 3)).mul(weight);
        NDArray den = scores.sum(new int[] {3}, true).maximum(0.1);
        return scores.matMul(v).div(den);
    }

    @Test
    void causalCosformerWithoutALengthSaysItNeedsOne() {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.ones(new Shape(1, 1, 4, 4));
            LinearAttention cos = LinearAttention.builder().setKind(AttentionKind.COSFORMER).setHeadDim(4).build();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> cos.causal(x, x, x, null, Form.CHUNKED));
            assertTrue(e.getMessage().contains("sequence length N") && e.getMessage().contains("optSequenceLength"),
                    e.getMessage());
            // bidirectional cosFormer uses the input's own length
            assertEquals(new Shape(1, 1, 4, 4), cos.bidirectional(x, x, x, null).getShape());
            LinearAttention short3 = LinearAttention.builder().setKind(AttentionKind.COSFORMER).setHeadDim(4)
                    .optSequenceLength(3).build();
            IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                    () -> short3.causal(x, x, x, null, Form.CHUNKED));
            assertTrue(tooLong.getMessage().contains("N=3") && tooLong.getMessage().contains("4"), tooLong.getMessage());
        }
    }

    @Test
    void reluLinearAttentionEqualsTheUnweightedFormula() {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(4);
            DataType t = DataType.FLOAT64;
            // shifted so that no row is all-zero after ReLU: the plain formula would give 0/0 there
            NDArray q = normal(m, t, 1.5, 1, 2, 9, 4);
            NDArray k = normal(m, t, 1.5, 1, 2, 9, 4);
            NDArray v = normal(m, t, 0, 1, 2, 9, 4);
            LinearAttention relu = LinearAttention.builder().setKind(AttentionKind.RELU_LINEAR).setHeadDim(4)
                    .optClamp(null).build();
            NDArray scores = Activation.relu(q).matMul(Activation.relu(k).swapAxes(2, 3));
            NDArray expected = scores.matMul(v).div(scores.sum(new int[] {3}, true));
            assertClose(expected, relu.bidirectional(q, k, v, null), 1e-12, "bidirectional");
            assertEquals(1, relu.causal(q, k, v, null, Form.RECURRENT).state().blocks());
        }
    }

    @Test
    void softmaxCausalContinuedFromItsCacheEqualsTheFullPass() {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(6);
            DataType t = DataType.FLOAT64;
            int n = 21;
            NDArray q = normal(m, t, 0, 2, 3, n, 8);
            NDArray k = normal(m, t, 0, 2, 3, n, 8);
            NDArray v = normal(m, t, 0, 2, 3, n, 5);
            SoftmaxAttention sm = SoftmaxAttention.builder().build();
            NDArray full = sm.causal(q, k, v, null).output();
            // explicit formula
            NDArray logits = q.matMul(k.swapAxes(2, 3)).div(Math.sqrt(8));
            NDArray mask = m.arange(n).expandDims(1).gte(m.arange(n).expandDims(0));
            NDArray masked = ai.djl.ndarray.NDArrays.where(mask.broadcast(logits.getShape()), logits, m.full(logits.getShape(), Float.NEGATIVE_INFINITY,
                    t));
            assertClose(masked.softmax(3).matMul(v), full, 1e-12, "explicit");
            try (AttentionOutput<KvCache> a = sm.causal(ContinuationTest.head(q, 8), ContinuationTest.head(k, 8),
                    ContinuationTest.head(v, 8), null);
                    AttentionOutput<KvCache> b = sm.causal(ContinuationTest.tail(q, 8), ContinuationTest.tail(k, 8),
                            ContinuationTest.tail(v, 8), a.state())) {
                assertEquals(n, b.state().length());
                assertClose(full, a.output().concat(b.output(), 2), 1e-12, "continued");
            }
        }
    }

    @Test
    void aKeyPaddingMaskEqualsDroppingThePaddedKeys() {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(8);
            DataType t = DataType.FLOAT64;
            NDArray q = normal(m, t, 0, 1, 2, 6, 4);
            NDArray k = normal(m, t, 0, 1, 2, 10, 4);
            NDArray v = normal(m, t, 0, 1, 2, 10, 4);
            NDArray mask = m.create(new boolean[] {true, true, true, true, true, true, true, false, false, false},
                    new Shape(1, 10));
            NDArray k7 = k.get(":, :, :7");
            NDArray v7 = v.get(":, :, :7");
            LinearAttention leap = LinearAttention.builder().setHeadDim(4).build();
            leap.initialize(m, t);
            assertClose(leap.bidirectional(q, k7, v7, null), leap.bidirectional(q, k, v, mask), 1e-12, "LeaP");
            SoftmaxAttention sm = SoftmaxAttention.builder().build();
            assertClose(sm.bidirectional(q, k7, v7, null), sm.bidirectional(q, k, v, mask), 1e-12, "softmax");
        }
    }
}
