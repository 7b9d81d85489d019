package org.leapformer.ops;

import ai.djl.ndarray.NDArray;

/**
 * The result of an attention form: the output and the state after the last token.
 *
 * <p>Both belong to the caller. {@link #close()} frees both; to keep the output and drop the
 * state, close {@code state()} alone.
 *
 * @param output the attention output, (B, H, N, Dv)
 * @param state the state after the last token
 * @param <S> the state type of the form
 */
public record AttentionOutput<S extends AttentionState>(NDArray output, S state) implements AutoCloseable {

    /** Closes the output and the state. */
    @Override
    public void close() {
        output.close();
        state.close();
    }
}
