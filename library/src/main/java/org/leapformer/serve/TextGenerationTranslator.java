package org.leapformer.serve;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import java.util.concurrent.atomic.AtomicInteger;
import org.leapformer.data.Tokenizer;
import org.leapformer.model.DecoderLM;
import org.leapformer.model.JvmDecoder;
import org.leapformer.ops.Checks;

/**
 * Text generation as a DJL translator: a prompt in, the generated continuation out (the decoded
 * new tokens, without the prompt), for a {@link DecoderLM} loaded by {@link LeapModels} or
 * {@link CheckpointBlockFactory}. Every prediction is {@link DecoderLM#generate} with this
 * translator's {@link GenerationOptions}: the same tokens for the same prompt and options.
 *
 * <p>The generation loop runs here, not in the predictor's forward pass: {@link #processInput}
 * generates and hands the predictor an empty {@link NDList}, which DJL passes on without calling
 * the block. On the CPU the tokens come from one {@link JvmDecoder} made on first use and kept
 * for every later prediction of every predictor (the weights are copied once, not per call);
 * elsewhere (a GPU) from {@link DecoderLM#generate}'s recurrent session per call.
 *
 * <p><b>Threads.</b> As everywhere in DJL, a {@code Predictor} is for one thread at a time; one
 * loaded {@code ZooModel} (and so this translator, which DJL shares among its predictors) may
 * serve several predictors on several threads at once. The shared decoder is made once under a
 * lock and is read-only afterwards; each prediction decodes from a state and a sampling picker of
 * its own, so parallel predictions give the outputs they give one at a time.
 */
public final class TextGenerationTranslator implements NoBatchifyTranslator<String, String> {

    private static final String OUTPUT = "leapformer.continuation";

    private final GenerationOptions options;
    private final AtomicInteger snapshots = new AtomicInteger();
    private final Object lock = new Object();
    private volatile Bound bound;

    private record Bound(Model model, DecoderLM lm, Tokenizer tokenizer, JvmDecoder decoder) {}

    /**
     * A translator generating with these options.
     *
     * @param options tokens per prompt and how they are picked
     */
    public TextGenerationTranslator(GenerationOptions options) {
        Checks.require(options != null, "generation options", "options", "null");
        this.options = options;
    }

    /**
     * The options every prediction uses.
     *
     * @return the options given at construction
     */
    public GenerationOptions options() {
        return options;
    }

    /**
     * Binds the translator to its model on the first predictor's first prediction (later calls,
     * from other predictors of the same model, find it bound).
     *
     * @param ctx the predictor's context
     * @throws IllegalArgumentException when the model is not a language model with a tokenizer, or
     *     when this translator was already bound to another model
     */
    @Override
    public void prepare(TranslatorContext ctx) {
        bind(ctx.getModel());
    }

    private Bound bind(Model model) {
        Bound b = bound;
        if (b == null) {
            synchronized (lock) {
                b = bound;
                if (b == null) {
                    Checks.require(model.getBlock() instanceof DecoderLM, "model " + model.getName(),
                            "a language model (DecoderLM)", model.getBlock() == null ? "no block"
                                    : model.getBlock().getClass().getSimpleName());
                    Tokenizer t = CheckpointBlockFactory.tokenizer(model);
                    Checks.require(t != null, "model " + model.getName(), "a tokenizer (a checkpoint of a "
                            + "model trained on text, loaded through CheckpointBlockFactory)", "none");
                    DecoderLM lm = (DecoderLM) model.getBlock();
                    JvmDecoder decoder = null;
                    if (JvmDecoder.supports(lm)) {
                        decoder = JvmDecoder.of(lm);
                        snapshots.incrementAndGet();
                    }
                    b = new Bound(model, lm, t, decoder);
                    bound = b;
                }
            }
        }
        Checks.require(b.model() == model, "translator", "one model (make a translator per model)",
                "a second model " + model.getName());
        return b;
    }

    /**
     * Generates the continuation of a prompt.
     *
     * @param ctx the predictor's context
     * @param prompt text, at least one token the vocabulary knows
     * @return an empty list: the predictor then skips the block's forward pass
     * @throws IllegalArgumentException for a prompt the vocabulary knows none of, or one too long
     *     for the model with the options' new tokens
     */
    @Override
    public NDList processInput(TranslatorContext ctx, String prompt) {
        Bound b = bind(ctx.getModel());
        int[] ids = b.tokenizer().encode(prompt == null ? "" : prompt);
        Checks.require(ids.length > 0, "prompt", "characters or words the vocabulary knows", "'" + prompt + "'");
        int[] out;
        if (b.decoder() != null) {
            out = b.decoder().generate(ids, options.maxNewTokens(), options.sampling());
        } else {
            try (NDManager m = ctx.getNDManager().newSubManager()) {
                out = b.lm().generate(m, ids, options.maxNewTokens(), options.sampling());
            }
        }
        ctx.setAttachment(OUTPUT, b.tokenizer().decode(out));
        return new NDList();
    }

    /**
     * The continuation {@link #processInput} generated.
     *
     * @param ctx the predictor's context
     * @param list the empty list the predictor passes on
     * @return the decoded new tokens
     */
    @Override
    public String processOutput(TranslatorContext ctx, NDList list) {
        return (String) ctx.getAttachment(OUTPUT);
    }

    /** How many times a {@link JvmDecoder} snapshot was made: 1 after the first CPU prediction, then 1. */
    int snapshots() {
        return snapshots.get();
    }
}
