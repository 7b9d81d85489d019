package org.leapformer.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.leapformer.TestSupport.assertClose;
import static org.leapformer.TestSupport.assertGradientsClose;
import static org.leapformer.TestSupport.gradients;
import static org.leapformer.TestSupport.normal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.leapformer.ManagedTest;
import org.leapformer.TestSupport;
import org.leapformer.nn.AttentionKind;
import org.leapformer.nn.LinearAttention;

/** Running a full sequence equals running a first segment, then the rest from its state. */
class ContinuationTest extends ManagedTest {


    static Stream<Arguments> splits() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (AttentionKind kind : new AttentionKind[] {AttentionKind.LEAP, AttentionKind.COSFORMER,
                AttentionKind.RELU_LINEAR}) {
            b.add(Arguments.of(kind, 37, 1, Form.CHUNKED, Form.RECURRENT));
            b.add(Arguments.of(kind, 37, 20, Form.RECURRENT, Form.CHUNKED));
            b.add(Arguments.of(kind, 65, 64, Form.QUADRATIC, Form.CHUNKED));
            b.add(Arguments.of(kind, 100, 33, Form.CHUNKED, Form.CHUNKED));
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} N={1} split at {2}: {3} then {4}")
    @MethodSource("splits")
    void aFirstSegmentPlusItsStatePlusTheSecondSegmentEqualsTheFullPass(AttentionKind kind, int n, int split,
            Form first, Form second) {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(n * 31 + split);
            DataType t = DataType.FLOAT64;
            NDArray q = normal(m, t, 0, 2, 2, n, 8);
            NDArray k = normal(m, t, 0, 2, 2, n, 8);
            NDArray v = normal(m, t, 0, 2, 2, n, 6);
            LinearAttention attn = attention(kind, n);
            attn.initialize(m, t);
            ParameterStore ps = new ParameterStore(m, false);
            AttentionOutput<LinearState> full = attn.causal(ps, q, k, v, null, Form.QUADRATIC, false);
            try (AttentionOutput<LinearState> a = attn.causal(ps, head(q, split), head(k, split), head(v, split), null,
                            first, false);
                    AttentionOutput<LinearState> b = attn.causal(ps, tail(q, split), tail(k, split), tail(v, split),
                            a.state(), second, false)) {
                assertEquals(split, a.state().length());
                assertEquals(n, b.state().length());
                assertClose(full.output(), a.output().concat(b.output(), 2), 1e-10, "output");
                assertClose(full.state().s(), b.state().s(), 1e-10, "final S");
                assertClose(full.state().z(), b.state().z(), 1e-10, "final z");
            }
        }
    }

    @Test
    void tokenByTokenDecodingFromAnExplicitStateEqualsTheFullPass() {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(5);
            int n = 25;
            NDArray q = normal(m, DataType.FLOAT32, 0, 1, 2, n, 16);
            NDArray k = normal(m, DataType.FLOAT32, 0, 1, 2, n, 16);
            NDArray v = normal(m, DataType.FLOAT32, 0, 1, 2, n, 16);
            LinearAttention attn = LinearAttention.builder().setHeadDim(16).build();
            attn.initialize(m, DataType.FLOAT32);
            AttentionOutput<LinearState> full = attn.causal(q, k, v, null, Form.CHUNKED);
            LinearState state = attn.newState(m, 1, 2, 16, DataType.FLOAT32);
            NDList outs = new NDList();
            for (int t = 0; t < n; t++) {
                try (NDManager step = m.newSubManager()) {
                    NDArray qt = q.get(":, :, {}:{}", t, t + 1);
                    NDArray kt = k.get(":, :, {}:{}", t, t + 1);
                    NDArray vt = v.get(":, :, {}:{}", t, t + 1);
                    qt.attach(step);
                    kt.attach(step);
                    vt.attach(step);
                    AttentionOutput<LinearState> o = attn.causal(qt, kt, vt, state, Form.RECURRENT);
                    state.close();
                    state = o.state();
                    o.output().attach(m);
                    outs.add(o.output());
                }
            }
            assertEquals(n, state.length());
            assertClose(full.output(), NDArrays.concat(outs, 2), 1e-5, "decoded outputs");
            assertClose(full.state().s(), state.s(), 1e-5, "final S");
            state.close();
        }
    }

    @Test
    void gradientsFlowThroughTheCarriedStateAsThroughTheFullPass() {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(11);
            int n = 30;
            int split = 13;
            DataType t = DataType.FLOAT64;
            NDArray q = normal(m, t, 0, 1, 2, n, 8);
            NDArray k = normal(m, t, 0, 1, 2, n, 8);
            NDArray v = normal(m, t, 0, 1, 2, n, 8);
            NDArray r = normal(m, t, 0, 1, 2, n, 8);
            LinearAttention attn = LinearAttention.builder().setHeadDim(8).optLeapHidden(3).optChunkSize(8).build();
            attn.initialize(m, t);
            var full = gradients(m, attn, new NDList(q, k, v), r, in -> {
                AttentionOutput<LinearState> o = attn.causal(new ParameterStore(m, false), in.get(0), in.get(1),
                        in.get(2), null, Form.QUADRATIC, true);
                o.state().close();
                return o.output();
            });
            var segmented = gradients(m, attn, new NDList(q, k, v), r, in -> {
                ParameterStore ps = new ParameterStore(m, false);
                AttentionOutput<LinearState> a = attn.causal(ps, head(in.get(0), split), head(in.get(1), split),
                        head(in.get(2), split), null, Form.CHUNKED, true);
                AttentionOutput<LinearState> b = attn.causal(ps, tail(in.get(0), split), tail(in.get(1), split),
                        tail(in.get(2), split), a.state(), Form.RECURRENT, true);
                return a.output().concat(b.output(), 2);
            });
            assertGradientsClose(full, segmented, 1e-9, "segmented gradients");
        }
    }

    private static LinearAttention attention(AttentionKind kind, int n) {
        LinearAttention.Builder b = LinearAttention.builder().setKind(kind).setHeadDim(8).optChunkSize(16);
        if (kind == AttentionKind.COSFORMER) {
            b.optSequenceLength(n);
        }
        return b.build();
    }

    static NDArray head(NDArray x, long split) {
        return x.get(":, :, :{}", split);
    }

    static NDArray tail(NDArray x, long split) {
        return x.get(":, :, {}:", split);
    }
}
