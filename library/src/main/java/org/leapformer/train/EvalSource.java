package org.leapformer.train;

import ai.djl.ndarray.NDManager;

/** The evaluation batches, the same at every evaluation. */
@FunctionalInterface
public interface EvalSource {

    /**
     * @param manager where the batches' arrays go (closed by the trainer after the evaluation)
     */
    Iterable<TrainingBatch> batches(NDManager manager);

    /**
     * The number of examples (sentences, sequences or language-model windows) evaluated, recorded in
     * {@link TrainingResult#splits()}; −1 when unknown.
     */
    default long size() {
        return -1;
    }
}
