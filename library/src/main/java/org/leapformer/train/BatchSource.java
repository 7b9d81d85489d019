package org.leapformer.train;

import ai.djl.ndarray.NDManager;

/**
 * Training batches as a function of the step: the batch of step t is the same whenever it is
 * asked for, which is what makes a resumed run continue exactly (a shuffled epoch order must be
 * derived from a seed and t, not from an iterator's position).
 */
@FunctionalInterface
public interface BatchSource {

    /**
     * @param manager where the batch's arrays go (closed by the trainer after the step)
     * @param step the 0-based optimizer step the batch is for
     */
    TrainingBatch batch(NDManager manager, long step);

    /**
     * The number of training examples (sentences, sequences or language-model windows) the batches are
     * drawn from, recorded in {@link TrainingResult#splits()}; −1 when unknown.
     */
    default long size() {
        return -1;
    }
}
