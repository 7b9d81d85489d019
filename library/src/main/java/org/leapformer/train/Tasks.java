package org.leapformer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import org.leapformer.model.DecoderLM;
import org.leapformer.model.EncoderClassifier;
import org.leapformer.model.ModelConfig;
import org.leapformer.model.SimulTranslator;
import org.leapformer.data.Tokenizer;
import org.leapformer.ops.Checks;

/** The tasks of the paper's experiments. */
public final class Tasks {

    /** Model type of {@link #classifier}. */
    public static final String CLASSIFIER = "classifier";
    /** Model type of {@link #languageModel}. */
    public static final String LANGUAGE_MODEL = "language-model";
    /** Model type of {@link #translation}. */
    public static final String TRANSLATION = "translation";

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

    /**
     * Simultaneous translation under a wait-k policy: inputs (source ids, source mask, decoder
     * input ids), labels (target ids, −1 ignored), as {@link DataSources#translation} makes them;
     * cross-entropy and token accuracy.
     *
     * @param k the lag of the policy trained for, or {@code WaitK.OFFLINE}
     * @param tokenizer the shared word vocabulary (stored in checkpoints), or null
     */
    public static Task translation(SimulTranslator model, long k, Tokenizer tokenizer) {
        Checks.require(k >= 1, "wait-k lag", "k >= 1 (or WaitK.OFFLINE)", k);
        if (tokenizer != null) {
            Checks.require(tokenizer.vocabulary().size() == model.config().vocabSize(), "tokenizer vocabulary",
                    "V=" + model.config().vocabSize() + " tokens (the model's)", tokenizer.vocabulary().size());
        }
        return new TranslationTask(model, k, tokenizer);
    }

    private record TranslationTask(SimulTranslator model, long k, Tokenizer tokenizer) implements Task {
        @Override
        public Block block() {
            return model;
        }

        @Override
        public ModelConfig modelConfig() {
            return model.config();
        }

        @Override
        public String modelType() {
            return TRANSLATION;
        }

        @Override
        public NDArray[] lossSums(ParameterStore ps, TrainingBatch batch, boolean training) {
            NDList in = batch.inputs();
            Checks.require(in.size() == 3, "translation batch", "inputs (source, source mask, decoder input)",
                    in.size() + " inputs");
            try (NDArray out = model.logits(ps, in.get(0), in.get(1), in.get(2), k, training)) {
                return Losses.sums(out, batch.labels().get(0));
            }
        }
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
            // the lag is the trainer's choice, not the model's: a loaded translator is trained offline
            // unless wrapped again with translation(model, k, tokenizer)
            case TRANSLATION -> translation(new SimulTranslator(config).initialize(manager, dataType),
                    org.leapformer.ops.WaitK.OFFLINE, tokenizer);
            default -> throw new IllegalArgumentException("model type: expected " + CLASSIFIER + ", "
                    + LANGUAGE_MODEL + " or " + TRANSLATION + ", found " + modelType);
        };
    }

    /**
     * A new model of the given type initialised from {@code seed} by parameter path (see
     * {@link org.leapformer.model.Parameters#reinitialize}), wrapped as a task: models of any two
     * configurations created with one seed start equal in the parameters they share.
     *
     * @param tokenizer a language model's tokenizer, or null
     * @param seed the model seed
     */
    public static Task create(String modelType, ModelConfig config, NDManager manager, DataType dataType,
            Tokenizer tokenizer, long seed) {
        Task task = create(modelType, config, manager, dataType, tokenizer);
        org.leapformer.model.Parameters.reinitialize(task.block(), seed);
        return task;
    }
}
