package org.leapformer.ops;

/**
 * How a causal attention is computed. Every form gives the same output and the same final state
 * (up to rounding); they differ in cost.
 */
public enum Form {
    /** Masked N×N scores, as the official code trains: O(N²) time and memory. The reference. */
    QUADRATIC,
    /** Quadratic inside chunks of C tokens, the d×d state between chunks: O(N·C) memory. Training. */
    CHUNKED,
    /** One token at a time through the d×d state: constant memory per token. Decoding. */
    RECURRENT
}
