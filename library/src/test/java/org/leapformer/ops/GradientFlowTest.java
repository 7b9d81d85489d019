package org.leapformer.ops;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.leapformer.TestSupport.assertGradientsClose;
import static org.leapformer.TestSupport.gradients;
import static org.leapformer.TestSupport.normal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.leapformer.ManagedTest;
import org.leapformer.TestSupport;
import org.leapformer.nn.SoftmaxAttention;

/**
 * Gradients reach every input of the forms that copy an input: causal softmax without a cache
 * (its new cache must own its memory) and wait-k cross-attention without a key mask. Both once
 * made their copy with {@code duplicate()}, which has no autograd history on DJL 0.32: dk = dv = 0
 * while dq looked right, and the key and value projections of every causal softmax layer never
 * trained. Each case is compared with the same quantity computed without the copy.
 */
class GradientFlowTest extends ManagedTest {

    @Test
    void causalSoftmaxThroughTheBlockForwardGivesTheGradientsOfTheMaskedFormula() {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(11);
            DataType t = DataType.FLOAT64;
            int n = 13; // odd
            NDList in = new NDList(normal(m, t, 0, 2, 3, n, 5), normal(m, t, 0, 2, 3, n, 5), normal(m, t, 0, 2, 3, n, 4));
            NDArray r = normal(m, t, 0, 2, 3, n, 4);
            SoftmaxAttention causal = SoftmaxAttention.builder().optCausal(true).build();
            causal.initialize(m, t, in.get(0).getShape(), in.get(1).getShape(), in.get(2).getShape());
            ParameterStore ps = new ParameterStore(m, false);
            List<Pair<String, NDArray>> viaBlock = gradients(m, null, in, r,
                    x -> causal.forward(ps, x, true).singletonOrThrow());
            List<Pair<String, NDArray>> explicit = gradients(m, null, in, r, x -> explicitCausalSoftmax(m, x));
            assertGradientsClose(explicit, viaBlock, 1e-12, "causal softmax (Block forward, training)");
            for (Pair<String, NDArray> g : viaBlock) {
                assertTrue(g.getValue().abs().max().getDouble() > 1e-3, g.getKey() + " is zero: detached");
            }
            // continuing a cache: the new keys and values get their gradients too
            List<Pair<String, NDArray>> continued = gradients(m, null, in, r, x -> {
                long h = 6;
                try (AttentionOutput<KvCache> a = SoftmaxForms.causal(x.get(0).get(":, :, :{}", h),
                        x.get(1).get(":, :, :{}", h), x.get(2).get(":, :, :{}", h), null, null)) {
                    AttentionOutput<KvCache> b = SoftmaxForms.causal(x.get(0).get(":, :, {}:", h),
                            x.get(1).get(":, :, {}:", h), x.get(2).get(":, :, {}:", h), a.state(), null);
                    b.state().close();
                    return a.output().concat(b.output(), 2);
                }
            });
            assertGradientsClose(explicit, continued, 1e-12, "causal softmax over a cache 6 + 7");
        }
    }

    /** softmax(q kᵀ/√D + causal mask) v from elementary operations. */
    private static NDArray explicitCausalSoftmax(NDManager m, NDList x) {
        NDArray q = x.get(0);
        NDArray k = x.get(1);
        NDArray v = x.get(2);
        long n = q.getShape().get(2);
        double[] mask = new double[(int) (n * n)];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                mask[(int) (i * n + j)] = j > i ? -1e9 : 0;
            }
        }
        NDArray penalty = m.create(mask, new Shape(n, n)).toType(q.getDataType(), false);
        NDArray logits = q.matMul(k.swapAxes(2, 3)).div(Math.sqrt(q.getShape().get(3))).add(penalty);
        return logits.softmax(3).matMul(v);
    }

    @Test
    void waitKCrossAttentionWithoutAKeyMaskSendsGradientsToTheKeys() {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(12);
            DataType t = DataType.FLOAT64;
            int tgt = 7;
            int src = 9;
            NDList in = new NDList(normal(m, t, 0.3, 2, 2, tgt, 6).abs(), normal(m, t, 0.3, 2, 2, src, 6).abs(),
                    normal(m, t, 0, 2, 2, src, 3));
            NDArray r = normal(m, t, 0, 2, 2, tgt, 3);
            NDArray ones = m.ones(new Shape(2, src), t);
            LinearSpec spec = new LinearSpec(1, LinearSpec.DEFAULT_CLAMP, 3); // chunks of 3: several chunks
            for (long lag : new long[] {1, 3, 8}) { // k < |source|: the aligned causal path
                for (Form form : Form.values()) {
                    List<Pair<String, NDArray>> noMask = gradients(m, null, in, r,
                            x -> WaitK.linear(form, x.get(0), x.get(1), x.get(2), null, lag, spec));
                    List<Pair<String, NDArray>> allOnes = gradients(m, null, in, r,
                            x -> WaitK.linearQuadratic(x.get(0), x.get(1), x.get(2), ones, lag, spec));
                    assertGradientsClose(allOnes, noMask, 1e-10, "wait-" + lag + " " + form + " without a mask");
                    assertTrue(noMask.get(1).getValue().abs().max().getDouble() > 1e-3,
                            "wait-" + lag + " " + form + ": no gradient reaches the key features");
                }
            }
        }
    }
}
