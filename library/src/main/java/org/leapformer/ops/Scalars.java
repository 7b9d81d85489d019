package org.leapformer.ops;

import ai.djl.ndarray.NDArray;

/**
 * Scalar constants that are safe on the autograd path.
 *
 * <p>On the DJL PyTorch engine (0.32), {@code x.mul(2.0)} and the other NDArray-with-Number ops
 * wrap the number in a temporary array whose memory is a Java direct buffer, and close it right
 * after the op. Autograd may keep that tensor for the backward pass (a product saves its
 * factors), but nothing keeps the buffer alive: after a garbage collection the backward pass
 * reads freed memory and gradients come out wrong now and then. A constant made here owns
 * libtorch memory, so it stays valid for as long as autograd holds it.
 */
public final class Scalars {

    private Scalars() {}

    /** A 0-d array of {@code value} with the data type and device of {@code like}. */
    public static NDArray constant(NDArray like, double value) {
        try (NDArray java = like.getManager().create(value); NDArray typed = java.toType(like.getDataType(), false)) {
            return typed.duplicate(); // a clone: memory owned by libtorch
        }
    }

    /**
     * A copy of {@code x} that owns its memory and keeps the autograd graph: gradients reach
     * {@code x} through it. Use it wherever a differentiable path needs a copy. ({@code
     * duplicate()} is libtorch's clone under a no-grad guard on DJL 0.32: its result has no history,
     * so a loss computed from it sends nothing back to {@code x}. {@code toType(sameType, true)}
     * returns an alias.)
     */
    public static NDArray copy(NDArray x) {
        return mul(x, 1.0);
    }

    /** {@code x * value}, safe under autograd. */
    public static NDArray mul(NDArray x, double value) {
        try (NDArray c = constant(x, value)) {
            return x.mul(c);
        }
    }

    /** {@code max(x, value)}, safe under autograd. */
    public static NDArray maximum(NDArray x, double value) {
        try (NDArray c = constant(x, value)) {
            return x.maximum(c);
        }
    }
}
