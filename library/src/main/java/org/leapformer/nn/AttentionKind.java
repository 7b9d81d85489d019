package org.leapformer.nn;

/** The attention mechanisms this library offers under one API. */
public enum AttentionKind {
    /** LeaPformer: ReLU features re-weighted by learned proportions (linear, causal-capable). */
    LEAP,
    /** cosFormer: ReLU features re-weighted by positions i/N (linear; causal use needs N). */
    COSFORMER,
    /** ReLU-linear attention: no re-weighting (linear). */
    RELU_LINEAR,
    /** Softmax attention scaled by 1/√D (quadratic; its causal state is a KV cache). */
    SOFTMAX;

    /**
     * Whether the kind is a linear attention with a fixed-size {@code LinearState}.
     *
     * @return true for every kind but SOFTMAX
     */
    public boolean isLinear() {
        return this != SOFTMAX;
    }
}
