package org.leapformer.serve;

import ai.djl.modality.Classifications;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.leapformer.data.ListOpsVocabulary;
import org.leapformer.model.EncoderClassifier;
import org.leapformer.ops.Checks;

/**
 * ListOps classification as a DJL translator: an expression such as {@code [MAX 4 3 [MIN 2 3 ] 1 0 ]}
 * (either written form: LRA's parentheses are dropped) in, its predicted value out, as DJL
 * {@link Classifications} over the classes "0".."C-1" ({@link #classifications()}) or as the most
 * likely class's name ({@link #labels()}). The expression is encoded as training and the
 * {@code eval} command encode it ({@link ListOpsVocabulary#encode}) to the model's
 * {@code maxLength}: padded, or cut to its first {@code maxLength} tokens when longer.
 *
 * <p><b>Threads.</b> A {@code Predictor} is for one thread at a time; several predictors over one
 * {@code ZooModel} may run on several threads. This translator keeps no state between predictions.
 *
 * @param <O> {@link Classifications} or {@link String}
 */
public final class ListOpsTranslator<O> implements NoBatchifyTranslator<String, O> {

    private final Function<Classifications, O> output;

    private ListOpsTranslator(Function<Classifications, O> output) {
        this.output = output;
    }

    /**
     * A translator returning every class with its probability.
     *
     * @return the translator
     */
    public static ListOpsTranslator<Classifications> classifications() {
        return new ListOpsTranslator<>(c -> c);
    }

    /**
     * A translator returning the most likely class's name, e.g. "7".
     *
     * @return the translator
     */
    public static ListOpsTranslator<String> labels() {
        return new ListOpsTranslator<>(c -> c.best().getClassName());
    }

    /**
     * Encodes the expression as (1, maxLength) token ids.
     *
     * @param ctx the predictor's context
     * @param expression a ListOps expression
     * @return the ids for the classifier
     * @throws org.leapformer.data.ListOpsSyntaxException for a token outside the ListOps vocabulary
     * @throws IllegalArgumentException when the model is not an {@link EncoderClassifier}
     */
    @Override
    public NDList processInput(TranslatorContext ctx, String expression) {
        Checks.require(ctx.getBlock() instanceof EncoderClassifier, "model " + ctx.getModel().getName(),
                "a classifier (EncoderClassifier)", ctx.getBlock() == null ? "no block"
                        : ctx.getBlock().getClass().getSimpleName());
        int length = ((EncoderClassifier) ctx.getBlock()).config().maxLength();
        int[] ids = ListOpsVocabulary.encode(expression, length).ids();
        long[] longs = Arrays.stream(ids).asLongStream().toArray();
        return new NDList(ctx.getNDManager().create(longs, new Shape(1, length)));
    }

    /**
     * Turns the classifier's logits (1, C) into probabilities (softmax) per class.
     *
     * @param ctx the predictor's context
     * @param list the logits
     * @return the classifications, or the best class's name
     */
    @Override
    public O processOutput(TranslatorContext ctx, NDList list) {
        double[] logits;
        try (NDArray f = list.singletonOrThrow().toType(DataType.FLOAT64, false)) {
            logits = f.toDoubleArray();
        }
        double max = Arrays.stream(logits).max().orElse(0);
        double total = 0;
        double[] p = new double[logits.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            total += p[i];
        }
        List<String> names = new ArrayList<>(p.length);
        List<Double> probabilities = new ArrayList<>(p.length);
        for (int i = 0; i < p.length; i++) {
            names.add(Integer.toString(i));
            probabilities.add(p[i] / total);
        }
        return output.apply(new Classifications(names, probabilities));
    }
}
