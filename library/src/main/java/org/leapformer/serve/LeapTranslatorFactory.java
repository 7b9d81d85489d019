package org.leapformer.serve;

import ai.djl.Model;
import ai.djl.modality.Classifications;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorFactory;
import ai.djl.util.Pair;
import java.lang.reflect.Type;
import java.util.Map;
import java.util.Set;
import org.leapformer.train.Tasks;

/**
 * The translators of a model loaded through {@link CheckpointBlockFactory}, chosen by the
 * checkpoint's model type: a language model gets a {@link TextGenerationTranslator}
 * ({@code String} to {@code String}, options from the arguments as {@link GenerationOptions#fromArguments}
 * reads them); a classifier a {@link ListOpsTranslator} ({@code String} to {@link Classifications}
 * or to the label {@code String}). Give it to {@code Criteria.Builder.optTranslatorFactory}, or
 * name it in the argument {@code translatorFactory}.
 */
public final class LeapTranslatorFactory implements TranslatorFactory {

    /** A factory (DJL may make one by its public no-argument constructor). */
    public LeapTranslatorFactory() {}

    /**
     * The input and output types this factory can make translators for.
     *
     * @return (String, String) and (String, Classifications)
     */
    @Override
    public Set<Pair<Type, Type>> getSupportedTypes() {
        return Set.of(new Pair<>(String.class, String.class), new Pair<>(String.class, Classifications.class));
    }

    /**
     * A translator for a loaded model.
     *
     * @param input the input class, String
     * @param output String (generated text, or a classifier's label) or Classifications
     * @param model a model loaded by {@link CheckpointBlockFactory}
     * @param arguments the criteria's arguments (a language model's {@link GenerationOptions})
     * @return the translator
     * @throws TranslateException when the types do not fit the model's type, or the arguments are invalid
     *     (a model loaded by {@link CheckpointBlockFactory} is then closed: DJL's loader would leave it open)
     */
    @Override
    @SuppressWarnings("unchecked")
    public <I, O> Translator<I, O> newInstance(Class<I> input, Class<O> output, Model model,
            Map<String, ?> arguments) throws TranslateException {
        String type = model.getProperty(CheckpointBlockFactory.MODEL_TYPE);
        try {
            return translator(type, input, output, arguments);
        } catch (TranslateException e) {
            if (type != null) {
                // DJL's loader leaves the model it loaded open when no translator comes back; ours holds the
                // checkpoint's parameters, so free them here (the criteria cannot use this model)
                model.close();
            }
            throw e;
        }
    }

    @SuppressWarnings("unchecked")
    private static <I, O> Translator<I, O> translator(String type, Class<I> input, Class<O> output,
            Map<String, ?> arguments) throws TranslateException {
        if (input != String.class) {
            throw new TranslateException("input type: expected String, found " + input.getName());
        }
        try {
            if (Tasks.LANGUAGE_MODEL.equals(type) && output == String.class) {
                return (Translator<I, O>) new TextGenerationTranslator(GenerationOptions.fromArguments(arguments));
            }
            if (Tasks.CLASSIFIER.equals(type) && output == Classifications.class) {
                return (Translator<I, O>) ListOpsTranslator.classifications();
            }
            if (Tasks.CLASSIFIER.equals(type) && output == String.class) {
                return (Translator<I, O>) ListOpsTranslator.labels();
            }
        } catch (IllegalArgumentException e) {
            throw new TranslateException(e.getMessage(), e);
        }
        throw new TranslateException("translator for a " + (type == null ? "model not loaded by "
                + "CheckpointBlockFactory" : type) + ": expected String to String for a " + Tasks.LANGUAGE_MODEL
                + ", String to String or Classifications for a " + Tasks.CLASSIFIER + ", found " + input.getSimpleName()
                + " to " + output.getSimpleName());
    }
}
