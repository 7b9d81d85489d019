package org.leapformer.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
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
import org.leapformer.nn.FusedRecurrent;
import org.leapformer.nn.LinearAttention;

/** The fused recurrent form on the JVM is the quadratic reference, token by token. */
class FusedRecurrentTest extends ManagedTest {

    static Stream<Arguments> attentions() {
        return Stream.of(Arguments.of(AttentionKind.LEAP, 8, 0.1), Arguments.of(AttentionKind.LEAP, 1, null),
                Arguments.of(AttentionKind.COSFORMER, 0, 0.1), Arguments.of(AttentionKind.RELU_LINEAR, 0, null));
    }

    private static LinearAttention attention(NDManager m, AttentionKind kind, int hidden, Double clamp, long n) {
        LinearAttention.Builder b = LinearAttention.builder().setKind(kind).setHeadDim(8).optClamp(clamp);
        if (hidden > 0) {
            b.optLeapHidden(hidden);
        }
        if (kind == AttentionKind.COSFORMER) {
            b.optSequenceLength(n);
        }
        LinearAttention a = b.build();
        a.initialize(m, DataType.FLOAT32);
        return a;
    }

    @ParameterizedTest(name = "{0} hidden={1} clamp={2}")
    @MethodSource("attentions")
    void everyTokenMatchesTheQuadraticFormAndTheFinalStateTheChunkedOne(AttentionKind kind, int hidden, Double clamp) {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(61);
            int n = 37;
            LinearAttention a = attention(m, kind, hidden, clamp, n);
            NDArray q = TestSupport.normal(m, DataType.FLOAT32, 0.1, 1, 3, n, 8);
            NDArray k = TestSupport.normal(m, DataType.FLOAT32, 0.1, 1, 3, n, 8);
            NDArray v = TestSupport.normal(m, DataType.FLOAT32, 0.0, 1, 3, n, 8);
            AttentionOutput<LinearState> reference = a.causal(q, k, v, null, Form.QUADRATIC);
            FusedRecurrent fused = FusedRecurrent.of(a, 3, 8, kind == AttentionKind.COSFORMER ? (long) n : null);
            FusedRecurrent.State st = fused.newState();
            float[] out = new float[24];
            for (int t = 0; t < n; t++) {
                NDIndex at = new NDIndex("0, :, {}", t);
                fused.step(st, q.get(at).toFloatArray(), k.get(at).toFloatArray(), v.get(at).toFloatArray(), out);
                float[] expected = reference.output().get(at).toFloatArray();
                for (int i = 0; i < out.length; i++) {
                    assertEquals(expected[i], out[i], 1e-5 * Math.max(1, Math.abs(expected[i])), kind + " token " + t);
                }
            }
            try (LinearState end = fused.toState(st, m)) {
                TestSupport.assertClose(reference.state().s(), end.s(), 1e-5, "final S");
                TestSupport.assertClose(reference.state().z(), end.z(), 1e-5, "final z");
                assertEquals(n, end.length());
            }
            reference.state().close();
        }
    }

    @Test
    void aChunkedPromptContinuesOnTheJvmAndBack() {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(62);
            LinearAttention a = attention(m, AttentionKind.LEAP, 4, 0.1, 0);
            NDArray x = TestSupport.normal(m, DataType.FLOAT32, 0.1, 1, 2, 20, 8);
            NDArray prompt = x.get(":, :, :15");
            NDArray rest = x.get(":, :, 15:");
            AttentionOutput<LinearState> whole = a.causal(x, x, x, null, Form.CHUNKED);
            AttentionOutput<LinearState> first = a.causal(prompt, prompt, prompt, null, Form.CHUNKED);
            FusedRecurrent fused = FusedRecurrent.of(a, 2, 8, null);
            FusedRecurrent.State st = fused.fromState(first.state());
            assertEquals(15, st.position());
            float[] out = new float[16];
            for (int t = 0; t < 5; t++) {
                float[] xt = rest.get(new NDIndex("0, :, {}", t)).toFloatArray();
                fused.step(st, xt, xt, xt, out);
            }
            float[] last = whole.output().get(new NDIndex("0, :, 19")).toFloatArray();
            for (int i = 0; i < out.length; i++) {
                assertEquals(last[i], out[i], 1e-5 * Math.max(1, Math.abs(last[i])));
            }
            try (LinearState back = fused.toState(st, m)) {
                AttentionOutput<LinearState> more = a.causal(rest.get(":, :, 4:"), rest.get(":, :, 4:"),
                        rest.get(":, :, 4:"), back, Form.RECURRENT);
                assertEquals(21, more.state().length());
                more.state().close();
            }
            whole.state().close();
            first.state().close();
        }
    }

    @Test
    void wrongLengthsAndOverflowAreRefused() {
        try (NDManager m = manager.newSubManager()) {
            LinearAttention a = attention(m, AttentionKind.LEAP, 4, 0.1, 0);
            FusedRecurrent fused = FusedRecurrent.of(a, 2, 8, null);
            FusedRecurrent.State st = fused.newState();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> fused.step(st, new float[15], new float[16], new float[16], new float[16]));
            assertEquals("q and k: expected 16 values (H·D), found 15 and 16", e.getMessage());
            float[] big = new float[16];
            java.util.Arrays.fill(big, 1e30f);
            e = assertThrows(IllegalArgumentException.class, () -> fused.step(st, big, big, big, new float[16]));
            assertTrue(e.getMessage().contains("expected a finite output from finite inputs"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> FusedRecurrent.of(attention(m, AttentionKind.COSFORMER,
                    0, 0.1, 5), 2, 8, null));
        }
    }
}
