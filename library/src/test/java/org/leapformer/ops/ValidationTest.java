package org.leapformer.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.leapformer.LeapEngine;
import org.leapformer.nn.AttentionKind;
import org.leapformer.nn.LeapModule;
import org.leapformer.nn.LinearAttention;
import org.leapformer.nn.SoftmaxAttention;

/** Bad input is refused in Java with a message naming what was expected and what was found. */
class ValidationTest {

    private static NDManager m;
    private static LinearAttention leap;

    @BeforeAll
    static void start() {
        m = LeapEngine.newManager();
        leap = LinearAttention.builder().setHeadDim(4).build();
        leap.initialize(m, DataType.FLOAT32);
    }

    @AfterAll
    static void stop() {
        m.close();
    }

    private static NDArray x(long... shape) {
        return m.ones(new Shape(shape));
    }

    private static void refused(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' should contain '" + f + "'");
        }
    }

    @Test
    void mismatchedBatchHeadsOrHeadDimBetweenQueriesAndKeysIsRefused() {
        refused(() -> leap.causal(x(2, 2, 5, 4), x(3, 2, 5, 4), x(2, 2, 5, 4), null, Form.CHUNKED), "k shape", "B=2",
                "(3, 2, 5, 4)");
        refused(() -> leap.causal(x(2, 2, 5, 4), x(2, 1, 5, 4), x(2, 2, 5, 4), null, Form.CHUNKED), "H=2",
                "(2, 1, 5, 4)");
        refused(() -> leap.bidirectional(x(2, 2, 5, 4), x(2, 2, 5, 3), x(2, 2, 5, 4), null), "D=4", "(2, 2, 5, 3)");
    }

    @Test
    void keysAndValuesOfDifferentLengthsAreRefused() {
        refused(() -> leap.bidirectional(x(1, 1, 5, 4), x(1, 1, 6, 4), x(1, 1, 7, 4), null), "v shape", "N=6",
                "(1, 1, 7, 4)");
        refused(() -> leap.causal(x(1, 1, 5, 4), x(1, 1, 6, 4), x(1, 1, 6, 4), null, Form.RECURRENT), "k length",
                "N=5", "N=6");
    }

    @Test
    void aHeadDimOtherThanTheBuildersIsRefused() {
        refused(() -> leap.causal(x(1, 1, 5, 8), x(1, 1, 5, 8), x(1, 1, 5, 8), null, Form.CHUNKED), "head dimension",
                "D=4", "D=8");
    }

    @Test
    void tensorsOfTheWrongRankOrTypeAreRefused() {
        refused(() -> leap.causal(x(5, 4), x(1, 1, 5, 4), x(1, 1, 5, 4), null, Form.CHUNKED), "q", "rank-4",
                "(5, 4)");
        NDArray ints = m.zeros(new Shape(1, 1, 5, 4), DataType.INT32);
        refused(() -> leap.causal(ints, ints, ints, null, Form.CHUNKED), "data type", "floating-point", "int32");
        NDArray f64 = m.zeros(new Shape(1, 1, 5, 4), DataType.FLOAT64);
        refused(() -> leap.causal(x(1, 1, 5, 4), f64, x(1, 1, 5, 4), null, Form.CHUNKED), "k data type", "float32",
                "float64");
    }

    @Test
    void aMaskOfTheWrongLengthIsRefused() {
        NDArray mask = m.ones(new Shape(1, 4), DataType.BOOLEAN);
        refused(() -> leap.bidirectional(x(1, 1, 5, 4), x(1, 1, 5, 4), x(1, 1, 5, 4), mask), "key padding mask",
                "(B=1, N=5)", "(1, 4)");
        refused(() -> SoftmaxAttention.builder().build().bidirectional(x(1, 1, 5, 4), x(1, 1, 5, 4), x(1, 1, 5, 4), mask),
                "key padding mask", "(1, 4)");
    }

    @Test
    @SuppressWarnings("deprecation")
    void theDeprecatedOptHiddenSetsTheLeapHidden() {
        assertEquals(3,
                LinearAttention.builder().setHeadDim(8).optHidden(3).build().hidden());
        assertEquals(3,
                LinearAttention.builder().setHeadDim(8).optLeapHidden(3).build().hidden());
        assertEquals(2,
                LinearAttention.builder().setHeadDim(8).optLeapHidden(null).build().hidden(), "null: D/4");
        refused(() -> LinearAttention.builder().setHeadDim(4).optHidden(0).build(), "hidden size", "h >= 1", "0");
    }

    @Test
    void nonPositiveChunkSizesAndHiddenSizesAreRefusedAtBuildTime() {
        refused(() -> LinearAttention.builder().setHeadDim(4).optChunkSize(0).build(), "chunk size",
                "positive number of tokens", "0");
        refused(() -> LinearAttention.builder().setHeadDim(4).optChunkSize(-3).build(), "chunk size", "-3");
        refused(() -> LinearAttention.builder().setHeadDim(4).optLeapHidden(0).build(), "hidden size", "h >= 1", "0");
        refused(() -> new LeapModule(4, 0), "hidden size", "0");
        refused(() -> LinearAttention.builder().build(), "head dimension", "setHeadDim", "-1");
        refused(() -> LinearAttention.builder().setHeadDim(4).optClamp(-0.1).build(), "clamp", "-0.1");
        refused(() -> LinearAttention.builder().setHeadDim(4).optClamp(Double.NaN).build(), "clamp", "NaN");
        refused(() -> LinearAttention.builder().setKind(AttentionKind.SOFTMAX).setHeadDim(4).build(), "kind",
                "SoftmaxAttention", "SOFTMAX");
        refused(() -> new LinearSpec(2, 0.1, 0), "chunk size", "0");
    }

    @Test
    void nanAndInfInputsAreRefused() {
        NDArray bad = x(1, 1, 5, 4).duplicate();
        bad.set(new ai.djl.ndarray.index.NDIndex("0, 0, 2, 1"), Float.NaN);
        refused(() -> leap.causal(bad, x(1, 1, 5, 4), x(1, 1, 5, 4), null, Form.CHUNKED), "q", "finite", "NaN");
        NDArray inf = x(1, 1, 5, 4).duplicate();
        inf.set(new ai.djl.ndarray.index.NDIndex("0, 0, 0, 0"), Float.POSITIVE_INFINITY);
        refused(() -> leap.bidirectional(x(1, 1, 5, 4), x(1, 1, 5, 4), inf, null), "v", "finite", "Inf");
    }

    @Test
    void aStateOfTheWrongShapeIsRefused() {
        try (LinearState wrongHeads = leap.newState(m, 1, 3, 4, DataType.FLOAT32);
                LinearState wrongValues = leap.newState(m, 1, 1, 7, DataType.FLOAT32)) {
            for (Form form : Form.values()) {
                refused(() -> leap.causal(x(1, 1, 5, 4), x(1, 1, 5, 4), x(1, 1, 5, 4), wrongHeads, form), "state S shape",
                        "(1, 1, 8, 4)", "(1, 3, 8, 4)");
                refused(() -> leap.causal(x(1, 1, 5, 4), x(1, 1, 5, 4), x(1, 1, 5, 4), wrongValues, form), "state S shape",
                        "(1, 1, 8, 4)", "(1, 1, 8, 7)");
            }
        }
        refused(() -> LinearState.zeros(m, 1, 1, 0, 4, 2, DataType.FLOAT32), "state shape", "positive");
    }

    @Test
    void streamingSourceTokensWhoseValuesDoNotMatchTheKeysAreRefused() {
        refused(() -> leap.extendSource(new ai.djl.training.ParameterStore(m, false), null, x(1, 2, 5, 4), x(1, 2, 6, 4),
                null, false), "v shape", "N=5", "(1, 2, 6, 4)");
        try (LinearState source = leap.extendSource(new ai.djl.training.ParameterStore(m, false), null, x(1, 2, 5, 4),
                x(1, 2, 5, 4), null, false)) {
            refused(() -> leap.readSource(new ai.djl.training.ParameterStore(m, false), source, x(1, 3, 2, 4), false),
                    "q shape", "H=2", "(1, 3, 2, 4)");
        }
    }

    @Test
    void aStateFromAnotherKindOfFeatureMapIsRefused() {
        LinearAttention relu = LinearAttention.builder().setKind(AttentionKind.RELU_LINEAR).setHeadDim(4).build();
        try (LinearState reluState = relu.newState(m, 1, 1, 4, DataType.FLOAT32)) {
            refused(() -> leap.causal(x(1, 1, 5, 4), x(1, 1, 5, 4), x(1, 1, 5, 4), reluState, Form.CHUNKED),
                    "state S shape", "(1, 1, 8, 4)", "(1, 1, 4, 4)");
        }
    }
}
