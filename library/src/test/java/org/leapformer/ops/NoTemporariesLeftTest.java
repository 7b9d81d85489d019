package org.leapformer.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.leapformer.TestSupport.normal;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.leapformer.ManagedTest;
import org.leapformer.TestSupport;
import org.leapformer.nn.AttentionKind;
import org.leapformer.nn.LinearAttention;
import org.leapformer.nn.SoftmaxAttention;

/**
 * An attention call leaves nothing in its caller's manager but what it returns. DJL puts every
 * result in its first operand's manager, so without care the transposes and partial sums of each
 * call pile up in a long-lived manager: a benchmark loop over fixed inputs grew by about 10 MB a
 * call at N=4096 before this was fixed.
 */
class NoTemporariesLeftTest extends ManagedTest {

    private static final int N = 70; // more than two chunks of 16: the chunked path proper

    static Stream<Arguments> calls() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (AttentionKind kind : new AttentionKind[] {AttentionKind.LEAP, AttentionKind.COSFORMER,
                AttentionKind.RELU_LINEAR}) {
            for (Form form : Form.values()) {
                for (boolean grad : new boolean[] {false, true}) {
                    b.add(Arguments.of(kind + " causal " + form, grad, (Call) (m, mods, q, k, v) -> {
                        AttentionOutput<LinearState> r = mods.apply(kind).causal(new ParameterStore(m, false), q, k, v,
                                null, form, grad);
                        return List.of(r.output(), r.state());
                    }));
                }
            }
            b.add(Arguments.of(kind + " bidirectional", true, (Call) (m, mods, q, k, v) -> List.of(
                    mods.apply(kind).bidirectional(new ParameterStore(m, false), q, k, v, null, true))));
        }
        b.add(Arguments.of("LEAP causal CHUNKED continuing a state", true, (Call) (m, mods, q, k, v) -> {
            LinearAttention a = mods.apply(AttentionKind.LEAP);
            AttentionOutput<LinearState> first = a.causal(q, k, v, null, Form.CHUNKED);
            AttentionOutput<LinearState> next = a.causal(q, k, v, first.state(), Form.CHUNKED);
            return List.of(first.output(), first.state(), next.output(), next.state());
        }));
        b.add(Arguments.of("LEAP streaming cross-attention", true, (Call) (m, mods, q, k, v) -> {
            LinearAttention a = mods.apply(AttentionKind.LEAP);
            ParameterStore ps = new ParameterStore(m, false);
            LinearState source = a.extendSource(ps, null, k, v, null, true);
            LinearState more = a.extendSource(ps, source, k, v, null, true);
            return List.of(source, more, a.readSource(ps, more, q, true));
        }));
        b.add(Arguments.of("softmax causal", true, (Call) (m, mods, q, k, v) -> {
            AttentionOutput<KvCache> r = SoftmaxAttention.builder().build().causal(q, k, v, null);
            AttentionOutput<KvCache> next = SoftmaxAttention.builder().build().causal(q, k, v, r.state());
            return List.of(r.output(), r.state(), next.output(), next.state());
        }));
        b.add(Arguments.of("softmax bidirectional", true, (Call) (m, mods, q, k, v) -> List.of(
                SoftmaxAttention.builder().build().bidirectional(q, k, v, null))));
        return b.build();
    }

    @FunctionalInterface
    interface Call {
        /** Runs the attention; returns what it returned (arrays and states), for the test to close. */
        List<AutoCloseable> run(NDManager m, Function<AttentionKind, LinearAttention> modules, NDArray q, NDArray k,
                NDArray v) throws Exception;
    }

    @ParameterizedTest(name = "{0}, gradients {1}")
    @MethodSource("calls")
    void aCallLeavesOnlyWhatItReturns(String name, boolean grad, Call call) throws Exception {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(7);
            NDArray q = normal(m, DataType.FLOAT32, 0, 1, 2, N, 8);
            NDArray k = normal(m, DataType.FLOAT32, 0, 1, 2, N, 8);
            NDArray v = normal(m, DataType.FLOAT32, 0, 1, 2, N, 8);
            if (grad) {
                q.setRequiresGradient(true);
                k.setRequiresGradient(true);
                v.setRequiresGradient(true);
            }
            Map<AttentionKind, LinearAttention> built = new EnumMap<>(AttentionKind.class);
            Function<AttentionKind, LinearAttention> mods = kind -> built.computeIfAbsent(kind, x -> linear(m, x));
            for (AutoCloseable c : call.run(m, mods, q, k, v)) { // builds the modules and their parameters
                c.close();
            }
            int before = m.getManagedArrays().size();
            List<AutoCloseable> out;
            if (grad) {
                try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                    out = call.run(m, mods, q, k, v);
                    // the loss, and the seed gradient DJL's backward makes beside it, in a scratch manager
                    try (NDManager scratch = m.newSubManager()) {
                        NDArray loss = outputOf(out).sum();
                        loss.attach(scratch);
                        gc.backward(loss); // the backward pass still works with the temporaries closed
                    }
                    try (NDArray g = q.getGradient(); NDArray a = g.abs(); NDArray total = a.sum()) {
                        assertTrue(total.getFloat() > 0, name + ": no gradient reached q");
                    }
                }
            } else {
                out = call.run(m, mods, q, k, v);
            }
            for (AutoCloseable c : out) {
                c.close();
            }
            List<String> left = new ArrayList<>();
            m.getManagedArrays().forEach(a -> left.add(a.getShape().toString()));
            assertEquals(before, m.getManagedArrays().size(),
                    name + ": expected no arrays left in the caller's manager once the results are closed, found "
                            + (m.getManagedArrays().size() - before) + " more than before (shapes now: " + left + ")");
        }
    }

    private static NDArray outputOf(List<AutoCloseable> out) {
        for (AutoCloseable c : out) {
            if (c instanceof NDArray a) {
                return a;
            }
        }
        throw new IllegalStateException("no array among the results");
    }

    @Test
    void resultsBelongToTheCallersScopeAndAGivenStateIsLeftAlone() {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(8);
            NDArray q = normal(m, DataType.FLOAT32, 0, 1, 2, N, 8);
            NDArray k = normal(m, DataType.FLOAT32, 0, 1, 2, N, 8);
            NDArray v = normal(m, DataType.FLOAT32, 0, 1, 2, N, 8);
            LinearAttention a = linear(m, AttentionKind.LEAP);
            AttentionOutput<LinearState> outer = a.causal(q, k, v, null, Form.CHUNKED); // outside any scope
            NDArray inScope;
            LinearState stateInScope;
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                AttentionOutput<LinearState> r = a.causal(q, k, v, outer.state(), Form.CHUNKED);
                inScope = r.output();
                stateInScope = r.state();
            }
            // the caller's scope closed what the call returned inside it ...
            assertTrue(inScope.isReleased(), "the output made inside the caller's NDScope outlived that scope");
            assertTrue(stateInScope.s().isReleased(), "the state made inside the caller's NDScope outlived it");
            // ... and nothing it was given
            assertFalse(outer.state().s().isReleased(), "the state passed in was closed by the caller's scope");
            assertFalse(outer.output().isReleased(), "an earlier output was closed");
            assertFalse(q.isReleased(), "an input was closed");
            outer.close();
        }
    }

    @Test
    void aFailingFormClosesWhatItHadBuilt() {
        try (NDManager m = manager.newSubManager()) {
            TestSupport.seed(9);
            NDArray q = normal(m, DataType.FLOAT32, 0, 1, 2, N, 8);
            int before = m.getManagedArrays().size();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Temporaries.array(() -> {
                q.matMul(q.transpose(0, 1, 3, 2)); // two temporaries in m, then a failure
                throw new IllegalStateException("a failing form");
            }));
            assertEquals("a failing form", e.getMessage());
            assertEquals(before, m.getManagedArrays().size(), "a failed form left its temporaries behind");
        }
    }

    private static LinearAttention linear(NDManager m, AttentionKind kind) {
        LinearAttention.Builder b = LinearAttention.builder().setKind(kind).setHeadDim(8).optChunkSize(16);
        if (kind == AttentionKind.LEAP) {
            b.optLeapHidden(4);
        }
        if (kind == AttentionKind.COSFORMER) {
            b.optSequenceLength(2L * N);
        }
        LinearAttention a = b.build();
        a.initialize(m, DataType.FLOAT32);
        return a;
    }
}
