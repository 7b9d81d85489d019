package org.leapformer.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The running state of linear attention: the sums over all keys seen so far.
 *
 * <pre>
 *   S = Σ_j φk(k_j) v_jᵀ   (B, H, F, Dv)
 *   z = Σ_j φk(k_j)        (B, H, F)
 * </pre>
 *
 * <p>F is the feature size of the feature map: 2·D for LeaP and cosFormer, whose features are
 * the blocks [sin(π/2·p)·relu(x), cos(π/2·p)·relu(x)], D for ReLU-linear attention. {@link
 * #s(int)} and {@link #z(int)} give one block, e.g. S_sin = s(0) and S_cos = s(1).
 *
 * <p>Every causal form (quadratic, chunked, recurrent) and the cross-attention source take and
 * return this one type, so a prefix computed by one form is continued by any other. The state
 * owns a sub-manager of the manager it was created from; {@link #close()} frees it.
 */
public final class LinearState implements AttentionState {

    private final NDManager parent;
    private final NDManager manager;
    private final NDArray s;
    private final NDArray z;
    private final long length;
    private final int blocks;

    private LinearState(NDManager parent, NDArray s, NDArray z, long length, int blocks) {
        this.parent = parent;
        this.manager = parent.newSubManager();
        s.attach(manager);
        z.attach(manager);
        this.s = s;
        this.z = z;
        this.length = length;
        this.blocks = blocks;
    }

    /**
     * An empty state (no token seen).
     *
     * @param parent the manager the state's own sub-manager hangs from
     * @param batch B
     * @param heads H
     * @param features F, the feature size of the feature map
     * @param valueSize Dv
     * @param blocks number of feature blocks in F (2 for sin/cos features, 1 otherwise)
     * @param dataType the accumulation type (fp32 or fp64)
     */
    public static LinearState zeros(NDManager parent, long batch, long heads, long features, long valueSize,
            int blocks, DataType dataType) {
        Checks.require(batch > 0 && heads > 0 && features > 0 && valueSize > 0, "state shape",
                "positive B, H, F, Dv", "(" + batch + ", " + heads + ", " + features + ", " + valueSize + ")");
        Checks.require(blocks > 0 && features % blocks == 0, "state blocks", "a divisor of F=" + features, blocks);
        NDArray s = parent.zeros(new Shape(batch, heads, features, valueSize), dataType);
        NDArray z = parent.zeros(new Shape(batch, heads, features), dataType);
        return new LinearState(parent, s, z, 0, blocks);
    }

    /**
     * Wraps arrays as a state. The arrays are attached to the state's own manager (a
     * sub-manager of {@code parent}), which takes them over.
     */
    public static LinearState of(NDManager parent, NDArray s, NDArray z, long length, int blocks) {
        Checks.require(s.getShape().dimension() == 4, "state S", "shape (B, H, F, Dv)", s.getShape());
        Shape ss = s.getShape();
        Checks.require(z.getShape().equals(new Shape(ss.get(0), ss.get(1), ss.get(2))), "state z",
                "shape (B, H, F) = " + new Shape(ss.get(0), ss.get(1), ss.get(2)), z.getShape());
        Checks.require(length >= 0, "state length", "a count >= 0", length);
        return new LinearState(parent, s, z, length, blocks);
    }

    /** A new state with these sums, hanging from the same parent manager as this one. */
    LinearState next(NDArray newS, NDArray newZ, long tokens) {
        return new LinearState(parent, newS, newZ, length + tokens, blocks);
    }

    @Override
    public LinearState copy(NDManager parent) {
        return new LinearState(parent, s.duplicate(), z.duplicate(), length, blocks);
    }

    /** Σ φk(k) vᵀ, (B, H, F, Dv). */
    public NDArray s() {
        return s;
    }

    /** Σ φk(k), (B, H, F). */
    public NDArray z() {
        return z;
    }

    /** Block {@code i} of S, (B, H, F/blocks, Dv); for LeaP, 0 is S_sin and 1 is S_cos. */
    public NDArray s(int i) {
        long d = featureSize() / blocks;
        checkBlock(i);
        return s.get(new NDIndex(":, :, {}:{}, :", i * d, (i + 1) * d));
    }

    /** Block {@code i} of z, (B, H, F/blocks); for LeaP, 0 is z_sin and 1 is z_cos. */
    public NDArray z(int i) {
        long d = featureSize() / blocks;
        checkBlock(i);
        return z.get(new NDIndex(":, :, {}:{}", i * d, (i + 1) * d));
    }

    private void checkBlock(int i) {
        Checks.require(i >= 0 && i < blocks, "state block", "0.." + (blocks - 1), i);
    }

    @Override
    public long length() {
        return length;
    }

    /** Number of feature blocks (2 for sin/cos features). */
    public int blocks() {
        return blocks;
    }

    public long batchSize() {
        return s.getShape().get(0);
    }

    public long heads() {
        return s.getShape().get(1);
    }

    /** F. */
    public long featureSize() {
        return s.getShape().get(2);
    }

    /** Dv. */
    public long valueSize() {
        return s.getShape().get(3);
    }

    /** The manager this state's sub-manager hangs from (derived states hang there too). */
    public NDManager parentManager() {
        return parent;
    }

    /**
     * Checks that this state fits features (B, H, N, F) and values (B, H, N, Dv).
     *
     * @throws IllegalArgumentException naming the expected and the found shape
     */
    public void checkFits(NDArray features, NDArray v) {
        Shape f = features.getShape();
        Shape expected = new Shape(f.get(0), f.get(1), f.get(3), v.getShape().get(3));
        Checks.require(s.getShape().equals(expected), "state S shape",
                expected + " (B, H, F, Dv) for these inputs", s.getShape());
        Checks.require(s.getDevice().equals(features.getDevice()), "state device", features.getDevice(),
                s.getDevice());
    }

    @Override
    public void close() {
        manager.close();
    }

    @Override
    public String toString() {
        return "LinearState(B=" + batchSize() + ", H=" + heads() + ", F=" + featureSize() + ", Dv="
                + valueSize() + ", length=" + length + ")";
    }
}
