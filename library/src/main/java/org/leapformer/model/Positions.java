package org.leapformer.model;

/**
 * How a model's tokens learn where they are.
 *
 * <ul>
 *   <li>{@link #LEARNED}: a learned table of {@code maxLength} rows (as the LRA setup); sequences,
 *       generation and stepping end at {@code maxLength}.</li>
 *   <li>{@link #SINUSOIDAL}: the fixed sin/cos code of Vaswani et al. 2017, computed for any
 *       position: a model trained on windows of {@code maxLength} runs on past them. The default
 *       of a language model.</li>
 *   <li>{@link #NONE}: no position code; causal attention alone orders the tokens.</li>
 * </ul>
 *
 * Only cosFormer keeps a length limit whatever is chosen here: its causal proportions are i/N
 * with N = {@code maxLength}.
 */
public enum Positions {
    LEARNED,
    SINUSOIDAL,
    NONE
}
