package org.leapformer.serve;

import ai.djl.modality.Classifications;
import ai.djl.repository.zoo.Criteria;
import java.nio.file.Path;
import java.util.Map;
import org.leapformer.LeapEngine;
import org.leapformer.ops.Checks;

/**
 * DJL {@link Criteria} for this library's checkpoints, so a trained model loads the way every DJL
 * model does ({@code criteria.loadModel()}, {@code model.newPredictor()}):
 *
 * <pre>
 *   Criteria&lt;String, String&gt; c = LeapModels.criteriaForLm(Path.of("runs/lm"), GenerationOptions.greedy(40));
 *   try (ZooModel&lt;String, String&gt; model = c.loadModel(); Predictor&lt;String, String&gt; p = model.newPredictor()) {
 *       String continuation = p.predict("It is a truth");
 *   }
 * </pre>
 *
 * <p>A {@code .ckpt} is this library's own format (a zip of JSON and raw parameters), not
 * TorchScript, so a bare {@code Criteria} with only a model path hands it to libtorch's reader,
 * which fails. These criteria use DJL's two hooks for other formats: the argument
 * {@code blockFactory} names {@link CheckpointBlockFactory}, which builds the model and loads the
 * checkpoint's parameters into the DJL model's manager, and the option {@code hasParameter=false}
 * stops the PyTorch engine from looking for a DJL {@code .params} file; the translators come from
 * {@link LeapTranslatorFactory}. The same settings written by hand (or a run folder's
 * {@code serving.properties} with {@code blockFactory} and {@code translatorFactory}, plus the
 * option) load the same model.
 *
 * <p><b>Threads</b> (DJL's rule): a {@code Predictor} is for one thread at a time; a loaded
 * {@code ZooModel} may be shared, each thread with a predictor of its own.
 */
public final class LeapModels {

    /** DJL's argument naming the block factory. */
    public static final String BLOCK_FACTORY = "blockFactory";
    /** The PyTorch engine's option saying whether a DJL parameter file is to be read. */
    public static final String HAS_PARAMETER = "hasParameter";

    private LeapModels() {}

    /**
     * Criteria loading a checkpoint through {@link CheckpointBlockFactory} on the library's engine
     * and device ({@link LeapEngine#device}), with {@link LeapTranslatorFactory}: add arguments or
     * options before {@code build()}.
     *
     * @param checkpoint a {@code .ckpt} file or a run folder ({@link CheckpointBlockFactory#checkpointFile})
     * @param input the input class
     * @param output the output class
     * @param <I> String
     * @param <O> String or Classifications
     * @return a builder
     */
    public static <I, O> Criteria.Builder<I, O> builder(Path checkpoint, Class<I> input, Class<O> output) {
        Checks.require(checkpoint != null, "checkpoint", "a .ckpt file or a run folder", "null");
        return Criteria.builder().setTypes(input, output).optModelPath(checkpoint)
                .optEngine(LeapEngine.engine().getEngineName()).optDevice(LeapEngine.device())
                .optArgument(BLOCK_FACTORY, CheckpointBlockFactory.class.getName())
                .optOption(HAS_PARAMETER, "false").optTranslatorFactory(new LeapTranslatorFactory());
    }

    /**
     * Criteria for a language model: a prompt in, its generated continuation out.
     *
     * @param checkpoint a language model's {@code .ckpt} file or run folder
     * @param options new tokens per prompt and how they are picked
     * @return the criteria
     */
    public static Criteria<String, String> criteriaForLm(Path checkpoint, GenerationOptions options) {
        Checks.require(options != null, "generation options", "options", "null");
        Criteria.Builder<String, String> b = builder(checkpoint, String.class, String.class);
        for (Map.Entry<String, Object> e : options.toArguments().entrySet()) {
            b.optArgument(e.getKey(), e.getValue());
        }
        return b.build();
    }

    /**
     * Criteria for a ListOps classifier: an expression in, every class with its probability out.
     *
     * @param checkpoint a classifier's {@code .ckpt} file or run folder
     * @return the criteria
     */
    public static Criteria<String, Classifications> criteriaForClassifier(Path checkpoint) {
        return builder(checkpoint, String.class, Classifications.class).build();
    }

    /**
     * Criteria for a ListOps classifier: an expression in, the most likely value's label ("0".."9") out.
     *
     * @param checkpoint a classifier's {@code .ckpt} file or run folder
     * @return the criteria
     */
    public static Criteria<String, String> criteriaForLabels(Path checkpoint) {
        return builder(checkpoint, String.class, String.class).build();
    }
}
