package org.leapformer.ops;

import ai.djl.ndarray.NDArray;

/**
 * Maps queries or keys (B, H, N, D) to non-negative features (B, H, N, F) whose dot products
 * are the attention scores of a linear attention: s_ij = φq(q_i) · φk(k_j).
 *
 * <p>For LeaP and cosFormer, F = 2·D and φ(x) = [sin(π/2·p)·relu(x), cos(π/2·p)·relu(x)], so
 * that φq(q_i)·φk(k_j) = relu(q_i)·relu(k_j)·cos(π/2·(p_i − p_j)). See {@link FeatureMaps}.
 */
public interface FeatureMap {

    /** Number of equal blocks F is made of (2 for sin/cos features, 1 for plain ReLU). */
    int blocks();

    /**
     * Query features.
     *
     * @param q queries (B, H, N, D)
     * @param offset absolute position of q's first token (0 for a whole sequence)
     * @return (B, H, N, F)
     */
    NDArray queries(NDArray q, long offset);

    /**
     * Key features.
     *
     * @param k keys (B, H, N, D)
     * @param offset absolute position of k's first token
     * @return (B, H, N, F)
     */
    NDArray keys(NDArray k, long offset);
}
