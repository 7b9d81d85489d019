package org.leapformer.ops;

/**
 * What a causal attention form carries from one segment to the next.
 *
 * <p>A state owns its arrays (through a sub-manager) and is closed by whoever holds it. Forms
 * never modify a state: they return a new one, so an old state stays valid for replays and
 * for back-propagation through several segments.
 */
public interface AttentionState extends AutoCloseable {

    /** Number of tokens consumed so far (the absolute position of the next token). */
    long length();

    /**
     * An independent copy whose arrays hang from a new sub-manager of {@code parent} (a fork:
     * continuing one leaves the other as it was). The copy has no autograd history: a loss computed
     * from it sends no gradient back to what made the state. It is for forking during inference;
     * train through the state the forms return.
     */
    AttentionState copy(ai.djl.ndarray.NDManager parent);

    /** Releases the state's arrays. */
    @Override
    void close();
}
