package org.leapformer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Shared helpers: seeded inputs, relative-error assertions that fail on NaN, gradients. */
public final class TestSupport {

    private TestSupport() {}

    /**
     * Skips the calling test unless {@code condition}, printing the reason on the console so a
     * skipped check is visible in the build log, not only in the reports.
     */
    public static void skipUnless(boolean condition, String reason) {
        if (!condition) {
            StackTraceElement caller = Thread.currentThread().getStackTrace()[2];
            System.err.println("SKIPPED " + caller.getClassName().replaceAll(".*\\.", "") + "." + caller.getMethodName()
                    + ": " + reason);
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(condition, reason);
    }

    /** Seeds libtorch's generator. */
    public static void seed(int seed) {
        Engine.getEngine("PyTorch").setRandomSeed(seed);
    }

    /** Standard normal values of the given shape, plus a shift. */
    public static NDArray normal(NDManager m, DataType type, double shift, long... shape) {
        NDArray x = m.randomNormal(new Shape(shape), DataType.FLOAT64);
        NDArray shifted = x.add(shift);
        NDArray r = shifted.toType(type, false);
        if (r != shifted) {
            shifted.close();
        }
        x.close();
        return r;
    }

    /**
     * max|a − b| / max(max|b|, 1e-6): relative to the size of the expected values, absolute for
     * values that are all below 1e-6 (rounding noise around 0). NaN or Inf anywhere gives NaN.
     */
    public static double relativeError(NDArray expected, NDArray actual) {
        assertEquals(expected.getShape(), actual.getShape(), "shape");
        double[] e = expected.toType(DataType.FLOAT64, false).toDoubleArray();
        double[] a = actual.toType(DataType.FLOAT64, false).toDoubleArray();
        double maxDiff = 0;
        double scale = 1e-6;
        for (int i = 0; i < e.length; i++) {
            double d = Math.abs(e[i] - a[i]);
            if (!(d <= maxDiff)) {
                maxDiff = d; // NaN sticks
            }
            scale = Math.max(scale, Math.abs(e[i]));
        }
        if (Double.isNaN(maxDiff)) {
            return Double.NaN;
        }
        return maxDiff / scale;
    }

    /** Asserts a relative error at most {@code rtol}; fails on NaN/Inf. */
    public static void assertClose(NDArray expected, NDArray actual, double rtol, String what) {
        double err = relativeError(expected, actual);
        if (!(err <= rtol)) {
            fail(what + ": relative error " + err + " > " + rtol);
        }
    }

    /** Asserts every value is finite. */
    public static void assertFinite(NDArray x, String what) {
        for (double d : x.toType(DataType.FLOAT64, false).toDoubleArray()) {
            assertTrue(Double.isFinite(d), what + " has a non-finite value " + d);
        }
    }

    /**
     * Gradients of L = Σ f(inputs)·R with respect to the inputs and the block's parameters
     * (copied out; parameter gradients are zeroed before).
     */
    public static List<Pair<String, NDArray>> gradients(NDManager m, Block block, NDList inputs, NDArray r,
            Function<NDList, NDArray> f) {
        List<Parameter> params = new ArrayList<>();
        if (block != null) {
            for (Pair<String, Parameter> p : block.getParameters()) {
                params.add(p.getValue());
                if (p.getValue().getArray().hasGradient()) {
                    JniUtils.zeroGrad((PtNDArray) p.getValue().getArray());
                }
            }
        }
        NDList leaves = new NDList();
        for (NDArray x : inputs) {
            NDArray leaf = x.duplicate();
            leaf.setRequiresGradient(true);
            leaves.add(leaf);
        }
        try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray out = f.apply(leaves);
            gc.backward(out.mul(r).sum());
        }
        List<Pair<String, NDArray>> grads = new ArrayList<>();
        for (int i = 0; i < leaves.size(); i++) {
            grads.add(new Pair<>("input " + i, leaves.get(i).getGradient().duplicate()));
        }
        if (block != null) {
            for (Pair<String, Parameter> p : block.getParameters()) {
                grads.add(new Pair<>(p.getKey(), p.getValue().getArray().getGradient().duplicate()));
            }
        }
        return grads;
    }

    /** Asserts two gradient lists agree entry by entry. */
    public static void assertGradientsClose(List<Pair<String, NDArray>> expected, List<Pair<String, NDArray>> actual,
            double rtol, String what) {
        assertEquals(expected.size(), actual.size(), what + ": number of gradients");
        for (int i = 0; i < expected.size(); i++) {
            assertClose(expected.get(i).getValue(), actual.get(i).getValue(), rtol,
                    what + ": gradient of " + expected.get(i).getKey());
        }
    }
}
