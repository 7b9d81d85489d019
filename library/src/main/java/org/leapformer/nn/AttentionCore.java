package org.leapformer.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import org.leapformer.ops.AttentionOutput;
import org.leapformer.ops.AttentionState;
import org.leapformer.ops.Form;

/**
 * An attention mechanism over already projected heads: q (B, H, Nq, D), k (B, H, Nk, D),
 * v (B, H, Nk, Dv) → (B, H, Nq, Dv). Implemented by {@link LinearAttention} (LeaP, cosFormer,
 * ReLU-linear) and {@link SoftmaxAttention}, so models choose the kind by configuration.
 *
 * @param <S> the causal state: {@code LinearState} for linear kinds, {@code KvCache} for softmax
 */
public interface AttentionCore<S extends AttentionState> extends Block {

    /** Which mechanism this is. */
    AttentionKind kind();

    /**
     * Every query attends to every unmasked key.
     *
     * @param keyMask (B, Nk), true/non-zero for real keys, or null
     * @return (B, H, Nq, Dv)
     */
    NDArray bidirectional(ParameterStore ps, NDArray q, NDArray k, NDArray v, NDArray keyMask, boolean training);

    /**
     * Causal self-attention continuing {@code state} (null at the start of a sequence). Every
     * form returns the same result; the form only changes the cost.
     *
     * @return the output (B, H, N, Dv) and the state after the last token (the caller closes it)
     */
    AttentionOutput<S> causal(ParameterStore ps, NDArray q, NDArray k, NDArray v, S state, Form form,
            boolean training);
}
