package org.leapformer.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.leapformer.TestSupport.assertClose;
import static org.leapformer.TestSupport.assertFinite;
import static org.leapformer.TestSupport.normal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.Test;
import org.leapformer.ManagedTest;
import org.leapformer.TestSupport;
import org.leapformer.nn.LinearAttention;

/** The denominator: clamp or no clamp, all-zero keys, half precision, and gradients under GC. */
class NormalisationTest extends ManagedTest {


    @Test
    void allZeroKeysGiveZerosNotNanInEveryFormWithAndWithoutClamp() {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(2);
            NDArray q = normal(m, DataType.FLOAT32, 0, 1, 2, 9, 4);
            NDArray k = normal(m, DataType.FLOAT32, 0, 1, 2, 9, 4).abs().neg(); // relu(k) == 0
            NDArray v = normal(m, DataType.FLOAT32, 0, 1, 2, 9, 4);
            for (Double clamp : new Double[] {0.1, null}) {
                LinearAttention attn = LinearAttention.builder().setHeadDim(4).optClamp(clamp).optChunkSize(4).build();
                attn.initialize(m, DataType.FLOAT32);
                NDArray bi = attn.bidirectional(q, k, v, null);
                assertFinite(bi, "bidirectional clamp=" + clamp);
                assertEquals(0f, bi.abs().max().getFloat(), "bidirectional clamp=" + clamp);
                for (Form form : Form.values()) {
                    NDArray o = attn.causal(q, k, v, null, form).output();
                    assertFinite(o, form + " clamp=" + clamp);
                    assertEquals(0f, o.abs().max().getFloat(), form + " clamp=" + clamp);
                }
                var grads = TestSupport.gradients(m, attn, new NDList(q, k, v), v, in -> attn.causal(
                        new ParameterStore(m, false), in.get(0), in.get(1), in.get(2), null, Form.CHUNKED, true).output());
                for (var g : grads) {
                    assertFinite(g.getValue(), "gradient of " + g.getKey() + " clamp=" + clamp);
                }
            }
        }
    }

    @Test
    void halfPrecisionInputsAccumulateInFloat32AndReturnHalfPrecision() {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(9);
            NDArray q = normal(m, DataType.FLOAT32, 0, 1, 2, 70, 8);
            NDArray k = normal(m, DataType.FLOAT32, 0, 1, 2, 70, 8);
            NDArray v = normal(m, DataType.FLOAT32, 0, 1, 2, 70, 8);
            LinearAttention attn = LinearAttention.builder().setKind(org.leapformer.nn.AttentionKind.RELU_LINEAR)
                    .setHeadDim(8).optChunkSize(16).build();
            NDArray ref = attn.causal(q, k, v, null, Form.CHUNKED).output();
            for (Form form : Form.values()) {
                AttentionOutput<LinearState> half = attn.causal(q.toType(DataType.FLOAT16, false),
                        k.toType(DataType.FLOAT16, false), v.toType(DataType.FLOAT16, false), null, form);
                assertEquals(DataType.FLOAT16, half.output().getDataType(), form + " output type");
                assertEquals(DataType.FLOAT32, half.state().s().getDataType(), form + " state type");
                assertClose(ref, half.output().toType(DataType.FLOAT32, false), 1e-2, form + " fp16 vs fp32");
            }
        }
    }

    @Test
    void gradientsStayExactWhenTheGarbageCollectorRunsBetweenForwardAndBackward() {
        // regression: DJL's NDArray-with-Number ops free a Java buffer autograd still reads (see Scalars)
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(12);
            DataType t = DataType.FLOAT64;
            NDArray q = normal(m, t, 0, 1, 3, 33, 8);
            NDArray k = normal(m, t, 0, 1, 3, 33, 8);
            NDArray v = normal(m, t, 0, 1, 3, 33, 8);
            LinearAttention attn = LinearAttention.builder().setHeadDim(8).optLeapHidden(1).optChunkSize(8).build();
            attn.initialize(m, t);
            var reference = TestSupport.gradients(m, attn, new NDList(q, k, v), v, in -> forward(attn, m, in));
            for (int i = 0; i < 15; i++) {
                var again = TestSupport.gradients(m, attn, new NDList(q, k, v), v, in -> {
                    NDArray out = forward(attn, m, in);
                    System.gc();
                    byte[][] churn = new byte[64][];
                    for (int j = 0; j < churn.length; j++) {
                        churn[j] = new byte[1 << 16];
                    }
                    System.gc();
                    return out;
                });
                TestSupport.assertGradientsClose(reference, again, 0, "run " + i);
            }
        }
    }

    private static NDArray forward(LinearAttention attn, NDManager m, NDList in) {
        ParameterStore ps = new ParameterStore(m, false);
        NDArray a = attn.causal(ps, in.get(0), in.get(1), in.get(2), null, Form.RECURRENT, true).output();
        NDArray b = attn.bidirectional(ps, in.get(0), in.get(1), in.get(2), null, true);
        return a.add(b);
    }
}
