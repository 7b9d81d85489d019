package org.leapformer.nn;

/**
 * What a causal cosFormer takes for N in its proportions p_i = i/N — the sequence length it needs
 * and, when streaming, cannot know (Qin et al., ICLR 2022; the problem LeaP's learned proportions
 * remove). Bidirectional cosFormer always uses its input's own length.
 *
 * <ul>
 *   <li>{@link #CAPPED}: N = maxLength, the training window, and a sequence ends there (the
 *       default: the behaviour before this option existed).</li>
 *   <li>{@link #TRAINING}: N = maxLength kept past the window, so p_i = i/N grows above 1:
 *       <em>the length unknown</em>, as a stream that goes on past the training length.</li>
 *   <li>{@link #KNOWN}: N = the length of the sequence itself, given whole to one causal call
 *       from position 0: <em>the length known</em>, the oracle cosFormer needs (a continuation
 *       is refused; to step a sequence of known length L, build with maxLength L and
 *       {@link #CAPPED}).</li>
 * </ul>
 *
 * All three agree on a sequence of exactly maxLength tokens.
 */
public enum CosformerLength {
    /** N = maxLength; positions past it are refused (the default). */
    CAPPED,
    /** N = maxLength kept past the training window: p_i grows above 1 (the length unknown). */
    TRAINING,
    /** N = the sequence's own length, given whole to one causal call (the length known). */
    KNOWN
}
