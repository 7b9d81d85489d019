package org.leapformer.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.leapformer.ManagedTest;
import org.leapformer.TestSupport;
import org.leapformer.nn.AttentionKind;
import org.leapformer.nn.LinearAttention;
import org.leapformer.nn.SoftmaxAttention;

/**
 * Attention inputs a new user gets wrong: empty sequences, half precision into a float32 layer,
 * masks that are not 0/1, finite values whose products overflow. Each is refused in Java with
 * a message naming what was expected and what was found, or has documented behaviour.
 */
class BadInputTest extends ManagedTest {

    private static LinearAttention leap(NDManager m) {
        LinearAttention a = LinearAttention.builder().setHeadDim(4).optLeapHidden(2).build();
        a.initialize(m, DataType.FLOAT32);
        return a;
    }

    private static NDArray x(NDManager m, DataType t, long... shape) {
        TestSupport.seed(5);
        return TestSupport.normal(m, t, 0.2, shape);
    }

    private static String refused(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' should contain '" + f + "'");
        }
        return e.getMessage();
    }

    @Test
    void anEmptySequenceGivesAnEmptyOutputAndTheSameStateInEveryCausalForm() {
        try (NDManager m = manager.newSubManager()) {
            LinearAttention a = leap(m);
            NDArray empty = m.zeros(new Shape(1, 2, 0, 4));
            AttentionOutput<LinearState> prefix = a.causal(x(m, DataType.FLOAT32, 1, 2, 3, 4),
                    x(m, DataType.FLOAT32, 1, 2, 3, 4), x(m, DataType.FLOAT32, 1, 2, 3, 4), null, Form.CHUNKED);
            for (Form f : Form.values()) {
                for (LinearState start : new LinearState[] {null, prefix.state()}) {
                    AttentionOutput<LinearState> r = a.causal(empty, empty, empty, start, f);
                    assertEquals(new Shape(1, 2, 0, 4), r.output().getShape(), f + " output");
                    assertEquals(start == null ? 0 : 3, r.state().length(), f + " state length");
                    if (start != null) {
                        TestSupport.assertClose(start.s(), r.state().s(), 0, f + " state unchanged");
                    }
                    r.state().close();
                }
            }
            assertEquals(new Shape(1, 2, 0, 4), a.bidirectional(empty, empty, empty, null).getShape());
        }
    }

    @Test
    void halfPrecisionInputsToAFloat32LeapLayerAreRefusedInEveryEntryPoint() {
        try (NDManager m = manager.newSubManager()) {
            LinearAttention a = leap(m);
            NDArray h = x(m, DataType.FLOAT16, 1, 1, 3, 4);
            String[] expected = {"q data type: expected float32 (the data type of this LEAP attention's parameters",
                "toType(float32, false)", "found float16"};
            refused(() -> a.causal(h, h, h, null, Form.CHUNKED), expected);
            refused(() -> a.causal(h, h, h, null, Form.RECURRENT), expected);
            refused(() -> a.bidirectional(h, h, h, null), expected);
            refused(() -> a.queryProportions(h), expected);
            refused(() -> a.keyProportions(h), "k data type: expected float32", "found float16");
            refused(() -> a.extendSource(new ai.djl.training.ParameterStore(m, false), null, h, h, null, false),
                    "k data type: expected float32", "found float16");
        }
    }

    @Test
    void aHalfPrecisionLayerTakesHalfPrecisionInputs() {
        try (NDManager m = manager.newSubManager()) {
            LinearAttention a = LinearAttention.builder().setHeadDim(4).optLeapHidden(2).build();
            a.initialize(m, DataType.FLOAT16);
            NDArray h = x(m, DataType.FLOAT16, 1, 1, 3, 4);
            AttentionOutput<LinearState> r = a.causal(h, h, h, null, Form.CHUNKED);
            assertEquals(DataType.FLOAT16, r.output().getDataType());
            r.state().close();
        }
    }

    @Test
    void keyMasksWithValuesOtherThanZeroAndOneAreRefusedNamingTheFirstOne() {
        try (NDManager m = manager.newSubManager()) {
            LinearAttention a = leap(m);
            SoftmaxAttention soft = SoftmaxAttention.builder().build();
            NDArray q = x(m, DataType.FLOAT32, 2, 1, 3, 4);
            NDArray half = m.create(new float[] {1, 1, 0.5f, 1, 0, 0}, new Shape(2, 3));
            refused(() -> a.bidirectional(q, q, q, half), "key padding mask: expected only 0 (padding) and 1",
                    "found 0.5 at (b=0, n=2)");
            NDArray two = m.create(new float[] {1, 1, 1, 1, 2, 0}, new Shape(2, 3));
            refused(() -> a.bidirectional(q, q, q, two), "found 2.0 at (b=1, n=1)");
            NDArray nan = m.create(new float[] {1, Float.NaN, 1, 1, 1, 0}, new Shape(2, 3));
            refused(() -> a.bidirectional(q, q, q, nan), "found NaN at (b=0, n=1)");
            refused(() -> soft.bidirectional(q, q, q, nan), "found NaN at (b=0, n=1)");
            NDArray ints = m.create(new int[] {1, 3, 1, 1, 1, 0}, new Shape(2, 3));
            refused(() -> a.bidirectional(q, q, q, ints), "found 3.0 at (b=0, n=1)");
            refused(() -> a.extendSource(new ai.djl.training.ParameterStore(m, false), null, q, q, half, false),
                    "found 0.5 at (b=0, n=2)");
        }
    }

    @Test
    void zeroOneMasksOfAnyTypeGiveTheSameOutputAsABooleanMask() {
        try (NDManager m = manager.newSubManager()) {
            LinearAttention a = leap(m);
            NDArray q = x(m, DataType.FLOAT32, 2, 1, 3, 4);
            NDArray bool = m.create(new boolean[] {true, true, false, true, false, false}, new Shape(2, 3));
            NDArray expected = a.bidirectional(q, q, q, bool);
            for (DataType t : new DataType[] {DataType.FLOAT32, DataType.INT64, DataType.FLOAT64}) {
                TestSupport.assertClose(expected, a.bidirectional(q, q, q, bool.toType(t, false)), 0, t + " mask");
            }
        }
    }

    @Test
    void finiteInputsWhoseProductsOverflowFloat32AreReportedWithTheirSizeAndTheCause() {
        try (NDManager m = manager.newSubManager()) {
            LinearAttention a = leap(m);
            NDArray big = m.full(new Shape(1, 1, 5, 4), 1e30f);
            String[] expected = {"expected a finite output from finite inputs, found NaN or Inf",
                "max |q| = 1.00e+30", "overflow float32", "compute in float64"};
            for (Form f : Form.values()) {
                refused(() -> a.causal(big, big, big, null, f), expected);
            }
            refused(() -> a.bidirectional(big, big, big, null), "LEAP bidirectional attention: expected a finite output");
            refused(() -> SoftmaxAttention.builder().build().bidirectional(big, big, big, null),
                    "SOFTMAX bidirectional attention: expected a finite output");
            LinearAttention relu = LinearAttention.builder().setKind(AttentionKind.RELU_LINEAR).setHeadDim(4).build();
            relu.initialize(m, DataType.FLOAT32);
            refused(() -> relu.causal(big, big, big, null, Form.CHUNKED), "RELU_LINEAR causal attention (CHUNKED)");
            // the same values in float64 are fine
            NDArray big64 = big.toType(DataType.FLOAT64, false);
            LinearAttention a64 = LinearAttention.builder().setHeadDim(4).optLeapHidden(2).build();
            a64.initialize(m, DataType.FLOAT64);
            AttentionOutput<LinearState> r = a64.causal(big64, big64, big64, null, Form.CHUNKED);
            TestSupport.assertFinite(r.output(), "float64 output");
            r.state().close();
        }
    }

    @Test
    void nanAndInfinityInInputsAreRefusedBeforeTheEngine() {
        try (NDManager m = manager.newSubManager()) {
            LinearAttention a = leap(m);
            NDArray ok = x(m, DataType.FLOAT32, 1, 1, 3, 4);
            NDArray nan = ok.duplicate();
            nan.set(new ai.djl.ndarray.index.NDIndex("0, 0, 1, 2"), Float.NaN);
            refused(() -> a.causal(nan, ok, ok, null, Form.RECURRENT), "q: expected finite values, found NaN or Inf");
            NDArray inf = ok.duplicate();
            inf.set(new ai.djl.ndarray.index.NDIndex("0, 0, 0, 0"), Float.POSITIVE_INFINITY);
            refused(() -> a.causal(ok, ok, inf, null, Form.CHUNKED), "v: expected finite values, found NaN or Inf");
            assertTrue(assertThrows(IllegalArgumentException.class, () -> a.causal(ok, inf, ok, null, Form.QUADRATIC))
                    instanceof Checks.NonFiniteException, "a NaN or Inf is a NonFiniteException (the trainer's sign of divergence)");
        }
    }

    @Test
    void softmaxWithAKvCacheLeavesTheCallersKeysAndValuesOpen() {
        try (NDManager m = manager.newSubManager()) {
            SoftmaxAttention soft = SoftmaxAttention.builder().build();
            NDArray q = x(m, DataType.FLOAT32, 1, 1, 2, 4);
            AttentionOutput<KvCache> first = soft.causal(q, q, q, null);
            NDArray k = x(m, DataType.FLOAT32, 1, 1, 1, 4);
            NDArray v = x(m, DataType.FLOAT32, 1, 1, 1, 4);
            AttentionOutput<KvCache> next = soft.causal(k, k, v, first.state());
            assertFalse(k.isReleased(), "k was closed by the call");
            assertFalse(v.isReleased(), "v was closed by the call");
            assertEquals(3, next.state().keys().getShape().get(2));
            first.state().close();
            next.state().close();
        }
    }
}
