package org.leapformer.model;

import ai.djl.ndarray.NDArray;

/**
 * Sees what each layer of a {@link Backbone} computes, for inspection (traces, steppers). The
 * arrays are borrowed: they are closed after the call, so a probe duplicates what it keeps. Every
 * method has an empty default.
 *
 * <p>Shapes: x (B, N, Dm); q, k (B, H, N, D); v and the attention output (B, H, N, Dv), before
 * the heads are merged and projected.
 */
public interface LayerProbe {

    /** The input of layer {@code layer} (the residual stream before it). */
    default void input(int layer, NDArray x) {}

    /**
     * The layer's projected queries, keys and values and the attention core's output.
     *
     * @param offset absolute position of the first token (a causal pass continuing a state)
     */
    default void attention(int layer, long offset, NDArray q, NDArray k, NDArray v, NDArray output) {}

    /** The output of layer {@code layer}. */
    default void output(int layer, NDArray x) {}
}
