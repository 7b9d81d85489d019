package org.leapformer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import org.leapformer.model.DecoderLM;
import org.leapformer.model.EncoderClassifier;
import org.leapformer.model.ModelConfig;
import org.leapformer.data.Tokenizer;
import org.leapformer.ops.Checks;

/** The tasks of the paper's experiments. */
public final class Tasks {

    /** Model type of {@link #classifier}. */
    public static final String CLASSIFIER = "classifier";
    /** Model type of {@link #languageModel}. */
    public static final String LANGUAGE_MODEL = "language-model";

    private Tasks() {}

    /** Classification: inputs (ids (B, N)), labels (class (B)); cross-entropy, accuracy. */
    public static Task classifier(EncoderClassifier model) {
        return new LogitsTask(model, model.config(), CLASSIFIER, model::logits, null);
    }

    /** Language modelling: inputs (ids (B, N)), labels (next ids (B, N), negative ignored). */
    public static Task languageModel(DecoderLM model) {
        return languageModel(model, null);
    }

    /**
     * Language modelling of text: checkpoints carry the tokenizer, so a trained model loads ready
     * to use ({@code org.leapformer.inspect.TrainedLM}).
     */
    public static Task languageModel(DecoderLM model, Tokenizer tokenizer) {
        if (tokenizer != null) {
            Checks.require(tokenizer.vocabulary().size() == model.config().vocabSize(), "tokenizer vocabulary",
                    "V=" + model.config().vocabSize() + " tokens (the model's)", tokenizer.vocabulary().size());
        }
        return new LogitsTask(model, model.config(), LANGUAGE_MODEL, model::logits, tokenizer);
    }

    /** How a model turns ids into logits. */
    @FunctionalInterface
    private interface Logits {
        NDArray apply(ParameterStore ps, NDArray ids, boolean training);
    }

    /** A model whose loss is the cross-entropy of its logits against the labels. */
    private record LogitsTask(Block block, ModelConfig modelConfig, String modelType, Logits logits,
            Tokenizer tokenizer) implements Task {
        @Override
        public NDArray[] lossSums(ParameterStore ps, TrainingBatch batch, boolean training) {
            try (NDArray out = logits.apply(ps, batch.inputs().get(0), training)) {
                return Losses.sums(out, batch.labels().get(0));
            }
        }
    }

    /**
     * A new, initialised model of the given type and configuration, wrapped as a task (to
     * restore a checkpoint into).
     */
    public static Task create(String modelType, ModelConfig config, NDManager manager, DataType dataType) {
        return create(modelType, config, manager, dataType, null);
    }

    /** As {@link #create(String, ModelConfig, NDManager, DataType)}, with a language model's tokenizer (or null). */
    public static Task create(String modelType, ModelConfig config, NDManager manager, DataType dataType,
            Tokenizer tokenizer) {
        return switch (modelType) {
            case CLASSIFIER -> classifier(new EncoderClassifier(config).initialize(manager, dataType));
            case LANGUAGE_MODEL -> languageModel(new DecoderLM(config).initialize(manager, dataType), tokenizer);
            default -> throw new IllegalArgumentException("model type: expected " + CLASSIFIER + " or "
                    + LANGUAGE_MODEL + ", found " + modelType);
        };
    }
}
