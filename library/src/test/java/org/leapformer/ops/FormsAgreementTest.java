package org.leapformer.ops;

import static org.leapformer.TestSupport.assertClose;
import static org.leapformer.TestSupport.assertGradientsClose;
import static org.leapformer.TestSupport.gradients;
import static org.leapformer.TestSupport.normal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.leapformer.ManagedTest;
import org.leapformer.TestSupport;
import org.leapformer.nn.AttentionKind;
import org.leapformer.nn.LinearAttention;

/**
 * The chunked and recurrent forms agree with the quadratic reference: output, final state and
 * gradients, over odd lengths and chunk sizes that do and do not divide the length.
 */
class FormsAgreementTest extends ManagedTest {


    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (int n : new int[] {1, 2, 63, 64, 65, 100}) {
            for (int chunk : new int[] {1, 7, 16, 64}) {
                b.add(Arguments.of(n, chunk, 0.1, 4));
            }
            b.add(Arguments.of(n, 16, null, 1)); // no clamp, hidden 1
        }
        return b.build();
    }

    @ParameterizedTest(name = "N={0} C={1} clamp={2} hidden={3}")
    @MethodSource("cases")
    void chunkedAndRecurrentFormsMatchTheQuadraticReference(int n, int chunk, Double clamp, int hidden) {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(1000 + n * 7 + chunk);
            DataType t = DataType.FLOAT64;
            // +0.3 keeps most denominators well above 0 when there is no clamp
            double shift = clamp == null ? 0.3 : 0.0;
            NDArray q = normal(m, t, shift, 2, 3, n, 8);
            NDArray k = normal(m, t, shift, 2, 3, n, 8);
            NDArray v = normal(m, t, 0, 2, 3, n, 5);
            NDArray r = normal(m, t, 0, 2, 3, n, 5);
            LinearAttention attn = LinearAttention.builder().setKind(AttentionKind.LEAP).setHeadDim(8).optLeapHidden(hidden)
                    .optClamp(clamp).optChunkSize(chunk).build();
            attn.initialize(m, t);
            ParameterStore ps = new ParameterStore(m, false);

            AttentionOutput<LinearState> ref = attn.causal(ps, q, k, v, null, Form.QUADRATIC, false);
            for (Form form : new Form[] {Form.CHUNKED, Form.RECURRENT}) {
                AttentionOutput<LinearState> got = attn.causal(ps, q, k, v, null, form, false);
                assertClose(ref.output(), got.output(), 1e-10, form + " output");
                assertClose(ref.state().s(), got.state().s(), 1e-10, form + " final S");
                assertClose(ref.state().z(), got.state().z(), 1e-10, form + " final z");
                org.junit.jupiter.api.Assertions.assertEquals(n, got.state().length(), "state length");
                got.close();
            }
            List<Pair<String, NDArray>> gRef = gradients(m, attn, new NDList(q, k, v), r,
                    in -> output(attn, m, in, Form.QUADRATIC));
            for (Form form : new Form[] {Form.CHUNKED, Form.RECURRENT}) {
                List<Pair<String, NDArray>> g = gradients(m, attn, new NDList(q, k, v), r, in -> output(attn, m, in, form));
                assertGradientsClose(gRef, g, 1e-9, form + " gradients");
            }
        }
    }

    @ParameterizedTest(name = "N={0}")
    @MethodSource("lengths")
    void float32FormsAgreeToSinglePrecision(int n) {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(77 + n);
            DataType t = DataType.FLOAT32;
            NDArray q = normal(m, t, 0, 1, 2, n, 16);
            NDArray k = normal(m, t, 0, 1, 2, n, 16);
            NDArray v = normal(m, t, 0, 1, 2, n, 16);
            LinearAttention attn = LinearAttention.builder().setHeadDim(16).optChunkSize(16).build();
            attn.initialize(m, t);
            AttentionOutput<LinearState> ref = attn.causal(q, k, v, null, Form.QUADRATIC);
            for (Form form : new Form[] {Form.CHUNKED, Form.RECURRENT}) {
                try (AttentionOutput<LinearState> got = attn.causal(q, k, v, null, form)) {
                    assertClose(ref.output(), got.output(), 1e-5, form + " output");
                    assertClose(ref.state().s(), got.state().s(), 1e-5, form + " final S");
                }
            }
        }
    }

    static Stream<Integer> lengths() {
        return Stream.of(1, 63, 100, 500);
    }

    private static NDArray output(LinearAttention attn, NDManager m, NDList in, Form form) {
        AttentionOutput<LinearState> o = attn.causal(new ParameterStore(m, false), in.get(0), in.get(1), in.get(2), null,
                form, true);
        o.state().close();
        return o.output();
    }
}
