package org.leapformer.inspect;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import org.leapformer.data.Tokenizer;
import org.leapformer.model.DecoderLM;
import org.leapformer.model.Sampling;
import org.leapformer.ops.Checks;
import org.leapformer.train.Checkpoint;
import org.leapformer.train.Tasks;

/**
 * A trained language model and its tokenizer, loaded from a checkpoint in one call, ready to trace,
 * step and generate text.
 *
 * <pre>
 *   try (NDManager m = LeapEngine.newManager()) {
 *       TrainedLM lm = TrainedLM.load(Path.of("runs/lm-leap/checkpoints/best.ckpt"), m);
 *       String text = lm.generate("Elizabeth", 200, Sampling.sample(0.8, 20, 1));
 *       try (Trace t = lm.trace("It is a truth universally acknowledged", m)) { ... }
 *       try (Stepper s = lm.stepper(m, true)) { s.feed(lm.encode("Mr. Darcy")); ... }
 *   }
 * </pre>
 *
 * @param model the model, its parameters on the manager given to {@link #load}
 * @param tokenizer the tokenizer it was trained with
 * @param checkpoint where it came from (configuration, progress)
 */
public record TrainedLM(DecoderLM model, Tokenizer tokenizer, Checkpoint checkpoint) {

    /**
     * Loads a language model and its tokenizer.
     *
     * @param manager where the parameters go (its device is the model's)
     * @throws IllegalArgumentException when the checkpoint holds a classifier or no tokenizer (a model
     *     trained on token ids, or written before checkpoints carried their tokenizer)
     * @throws IOException when the file is missing, or {@code CorruptCheckpointException} when damaged
     */
    public static TrainedLM load(Path file, NDManager manager) throws IOException {
        Checkpoint ck = Checkpoint.read(file);
        Checks.require(Tasks.LANGUAGE_MODEL.equals(ck.modelType()), "checkpoint " + file, "a language model",
                "a " + ck.modelType());
        Checks.require(ck.tokenizer() != null, "checkpoint " + file, "a tokenizer (a model trained on text with "
                + "Tasks.languageModel(model, tokenizer) or the train command)", "none");
        return new TrainedLM((DecoderLM) ck.newTask(manager).block(), ck.tokenizer(), ck);
    }

    /** The ids of a text. */
    public int[] encode(String text) {
        return tokenizer.encode(text);
    }

    /** The text of ids. */
    public String decode(int[] ids) {
        return tokenizer.decode(ids);
    }

    /**
     * The prompt followed by {@code tokens} generated tokens, decoded.
     *
     * @throws IllegalArgumentException when the vocabulary knows none of the prompt
     */
    public String generate(String prompt, int tokens, Sampling sampling) {
        int[] ids = promptIds(prompt);
        try (NDManager m = manager().newSubManager()) {
            return tokenizer.decode(ids) + tokenizer.decode(model.generate(m, ids, tokens, sampling));
        }
    }

    /** A trace of the model's parallel pass over a text. */
    public Trace trace(String text, NDManager parent) {
        return Trace.of(model, promptIds(text), parent);
    }

    /** A stepper at position 0 (feed it {@link #encode}d text). */
    public Stepper stepper(NDManager parent, boolean keepKeys) {
        return Stepper.of(model, parent, keepKeys);
    }

    private int[] promptIds(String text) {
        int[] ids = tokenizer.encode(text);
        Checks.require(ids.length > 0, "text", "characters or words the vocabulary knows", "'" + text + "'");
        return ids;
    }

    private NDManager manager() {
        return model.getParameters().get(0).getValue().getArray().getManager();
    }
}
