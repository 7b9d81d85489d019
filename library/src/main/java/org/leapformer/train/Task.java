package org.leapformer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import org.leapformer.data.Tokenizer;
import org.leapformer.model.ModelConfig;

/**
 * What the trainer optimises: a model and its loss. {@link Tasks} has the classifier and the
 * language model.
 */
public interface Task {

    /** The model; its parameters are what the trainer updates. */
    Block block();

    /** The model's configuration (stored in checkpoints). */
    ModelConfig modelConfig();

    /** "classifier" or "language-model" (stored in checkpoints). */
    String modelType();

    /** The tokenizer of a language model's text, stored in its checkpoints; null when there is none. */
    default Tokenizer tokenizer() {
        return null;
    }

    /**
     * Forward pass of a batch.
     *
     * @return [Σ loss (with gradients), count, correct] as 0-d arrays; the loss of the batch is
     *     Σ loss / count
     */
    NDArray[] lossSums(ParameterStore ps, TrainingBatch batch, boolean training);
}
