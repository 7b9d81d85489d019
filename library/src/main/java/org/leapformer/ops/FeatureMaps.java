package org.leapformer.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.util.function.UnaryOperator;

/**
 * The feature maps of the linear attentions in this library, written once.
 *
 * <pre>
 *   x'      = relu(x)                                   (B, H, N, D)
 *   p       = proportion of each token, in (0, 1)        (B, H, N, 1)
 *   φ(x)    = [ sin(π/2·p)·x' , cos(π/2·p)·x' ]          (B, H, N, 2D)
 *   φ(q_i)·φ(k_j) = (q'_i·k'_j)·cos(π/2·(p_i − p_j))
 * </pre>
 *
 * LeaP learns p with a small MLP on x' (Agostinelli, Hong, Chen, "LeaPformer", ICML 2024,
 * <a href="https://arxiv.org/abs/2405.13046">arXiv:2405.13046</a>); cosFormer fixes p = i/M
 * (Qin et al., ICLR 2022), which needs the sequence length M; ReLU-linear attention drops the
 * re-weighting.
 */
public final class FeatureMaps {

    private static final double HALF_PI = Math.PI / 2;

    private FeatureMaps() {}

    /**
     * Re-weights ReLU'd features by proportions.
     *
     * @param xRelu relu(x), (B, H, N, D)
     * @param proportions p, broadcastable to (B, H, N, 1)
     * @return [sin(π/2·p)·x', cos(π/2·p)·x'], (B, H, N, 2D)
     */
    public static NDArray reweight(NDArray xRelu, NDArray proportions) {
        return Temporaries.array(() -> reweightForm(xRelu, proportions));
    }

    private static NDArray reweightForm(NDArray xRelu, NDArray proportions) {
        // one broadcast product (…, N, 1, D) · (…, N, 2, 1) instead of two products and a concatenation:
        // a single pass over the features
        Shape s = xRelu.getShape();
        try (NDArray angle = Scalars.mul(proportions, HALF_PI); NDArray sin = angle.sin(); NDArray cos = angle.cos();
                NDArray sc = NDArrays.concat(new ai.djl.ndarray.NDList(sin, cos), -1); // (…, N, 2)
                NDArray sc3 = sc.expandDims(-1); NDArray x3 = xRelu.expandDims(-2); NDArray both = x3.mul(sc3)) {
            return both.reshape(s.get(0), s.get(1), s.get(2), 2 * s.get(3)); // [sin·x' | cos·x']
        }
    }

    /**
     * LeaP features from learned proportions.
     *
     * @param queryProportions maps relu(q) (B, H, N, D) to proportions (B, H, N, 1)
     * @param keyProportions maps relu(k) to proportions
     */
    public static FeatureMap leap(UnaryOperator<NDArray> queryProportions, UnaryOperator<NDArray> keyProportions) {
        return new Reweighted((x, offset) -> queryProportions.apply(x), (x, offset) -> keyProportions.apply(x));
    }

    /**
     * cosFormer features: proportions p_i = i / M for the 1-based absolute position i.
     *
     * @param length M; null means "the length of each call's input" (bidirectional use only)
     */
    public static FeatureMap cosformer(Long length) {
        return cosformer(length, false);
    }

    /**
     * cosFormer with a declared length M that positions may pass ({@code pastLength}: p = i/M goes
     * above 1, as a stream longer than M with M kept) or not (refused).
     */
    public static FeatureMap cosformer(Long length, boolean pastLength) {
        if (length != null) {
            Checks.require(length > 0, "cosFormer sequence length", "a positive length", length);
        }
        ProportionFn positions = (x, offset) -> positions(x, offset, length, pastLength);
        return new Reweighted(positions, positions);
    }

    /** ReLU-linear attention (Katharopoulos et al. with φ = ReLU): no re-weighting. */
    public static FeatureMap relu() {
        return new FeatureMap() {
            @Override
            public int blocks() {
                return 1;
            }

            @Override
            public NDArray queries(NDArray q, long offset) {
                return Activation.relu(q);
            }

            @Override
            public NDArray keys(NDArray k, long offset) {
                return Activation.relu(k);
            }
        };
    }

    /**
     * cosFormer proportions for x (B, H, N, D) at positions offset+1 .. offset+N: (N, 1).
     *
     * @param length M, or null to use N (only without an offset)
     */
    public static NDArray positions(NDArray x, long offset, Long length) {
        return positions(x, offset, length, false);
    }

    /**
     * As {@link #positions(NDArray, long, Long)}; with {@code pastLength} positions past M give
     * proportions above 1 instead of being refused.
     */
    public static NDArray positions(NDArray x, long offset, Long length, boolean pastLength) {
        return Temporaries.array(() -> positionsForm(x, offset, length, pastLength));
    }

    private static NDArray positionsForm(NDArray x, long offset, Long length, boolean pastLength) {
        long n = x.getShape().get(2);
        long m;
        if (length == null) {
            if (offset != 0) {
                throw new IllegalStateException("cosFormer causal attention needs the sequence length N "
                        + "(proportions are i/N): set it with optSequenceLength(N); found none while "
                        + "continuing at position " + offset);
            }
            m = n;
        } else {
            m = length;
            Checks.require(pastLength || offset + n <= m, "cosFormer positions", "at most the declared length N=" + m,
                    "positions up to " + (offset + n));
        }
        DataType type = x.getDataType();
        try (NDArray idx = x.getManager().arange(offset + 1, offset + n + 1, 1, DataType.FLOAT64)) {
            return idx.div((double) m).toType(type, false).reshape(n, 1);
        }
    }

    @FunctionalInterface
    private interface ProportionFn {
        NDArray apply(NDArray xRelu, long offset);
    }

    private record Reweighted(ProportionFn query, ProportionFn key) implements FeatureMap {
        @Override
        public int blocks() {
            return 2;
        }

        @Override
        public NDArray queries(NDArray q, long offset) {
            return features(q, offset, query);
        }

        @Override
        public NDArray keys(NDArray k, long offset) {
            return features(k, offset, key);
        }

        private static NDArray features(NDArray x, long offset, ProportionFn fn) {
            NDArray xr = Activation.relu(x);
            try (NDArray p = fn.apply(xr, offset)) {
                NDArray out = reweight(xr, p);
                xr.close();
                return out;
            }
        }
    }
}
