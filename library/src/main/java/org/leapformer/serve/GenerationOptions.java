package org.leapformer.serve;

import java.util.LinkedHashMap;
import java.util.Map;
import org.leapformer.model.Sampling;
import org.leapformer.ops.Checks;

/**
 * What a {@link TextGenerationTranslator} generates per prompt: how many new tokens and how each
 * is picked. Travels through DJL's {@code Criteria} as arguments ({@link #toArguments},
 * {@link #fromArguments}), so the keys below may also be written in a run folder's
 * {@code serving.properties}.
 *
 * @param maxNewTokens tokens added after the prompt, at least 0 (prompt + new within the model's
 *     length limit)
 * @param sampling greedy, or temperature / top-k / top-p with a seed
 */
public record GenerationOptions(int maxNewTokens, Sampling sampling) {

    /** Argument key of {@link #maxNewTokens}. */
    public static final String MAX_NEW_TOKENS = "maxNewTokens";
    /** Argument key of {@link Sampling#greedy}: "true" or "false". */
    public static final String GREEDY = "greedy";
    /** Argument key of {@link Sampling#temperature}. */
    public static final String TEMPERATURE = "temperature";
    /** Argument key of {@link Sampling#topK}. */
    public static final String TOP_K = "topK";
    /** Argument key of {@link Sampling#topP}. */
    public static final String TOP_P = "topP";
    /** Argument key of {@link Sampling#seed}. */
    public static final String SEED = "seed";

    /** Default of {@link #MAX_NEW_TOKENS} when the arguments do not name it. */
    public static final int DEFAULT_MAX_NEW_TOKENS = 50;

    /**
     * Checks the options.
     *
     * @param maxNewTokens tokens added after the prompt, at least 0
     * @param sampling how each token is picked, not null
     * @throws IllegalArgumentException for a negative count or no sampling
     */
    public GenerationOptions {
        Checks.require(maxNewTokens >= 0, "max new tokens", "a count >= 0", maxNewTokens);
        Checks.require(sampling != null, "sampling", "greedy or a seeded draw", "null");
    }

    /**
     * Greedy decoding (always the most likely token).
     *
     * @param maxNewTokens tokens added after the prompt
     * @return the options
     */
    public static GenerationOptions greedy(int maxNewTokens) {
        return new GenerationOptions(maxNewTokens, Sampling.greedyDecoding());
    }

    /**
     * The options as {@code Criteria} arguments (values are numbers and booleans).
     *
     * @return a new mutable map, keys as the constants of this class
     */
    public Map<String, Object> toArguments() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(MAX_NEW_TOKENS, maxNewTokens);
        m.put(GREEDY, sampling.greedy());
        m.put(TEMPERATURE, sampling.temperature());
        m.put(TOP_K, sampling.topK());
        m.put(TOP_P, sampling.topP());
        m.put(SEED, sampling.seed());
        return m;
    }

    /**
     * Options read from {@code Criteria} arguments; values may be numbers, booleans or their text
     * (as {@code serving.properties} gives them). Missing keys take the defaults: 50 tokens, greedy
     * unless a temperature, top-k or top-p is given (then a draw, temperature 1, all tokens, seed 0).
     *
     * @param arguments the model's arguments
     * @return the options
     * @throws IllegalArgumentException naming a value that is not a number or out of range
     */
    public static GenerationOptions fromArguments(Map<String, ?> arguments) {
        int n = (int) number(arguments, MAX_NEW_TOKENS, DEFAULT_MAX_NEW_TOKENS);
        boolean anySampling = arguments.containsKey(TEMPERATURE) || arguments.containsKey(TOP_K)
                || arguments.containsKey(TOP_P);
        Object g = arguments.get(GREEDY);
        boolean greedy = g == null ? !anySampling : Boolean.parseBoolean(g.toString().trim());
        Sampling s = new Sampling(number(arguments, TEMPERATURE, 1.0), (int) number(arguments, TOP_K, 0),
                number(arguments, TOP_P, 1.0), greedy, seed(arguments));
        return new GenerationOptions(n, s);
    }

    private static long seed(Map<String, ?> arguments) {
        Object v = arguments.get(SEED);
        if (v == null) {
            return 0;
        }
        if (v instanceof Number num && !(v instanceof Double || v instanceof Float)) {
            return num.longValue();
        }
        try {
            return Long.parseLong(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("generation argument " + SEED + ": expected a whole number, found '"
                    + v + "'", e);
        }
    }

    private static double number(Map<String, ?> arguments, String key, double fallback) {
        Object v = arguments.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Number num) {
            return num.doubleValue();
        }
        try {
            return Double.parseDouble(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("generation argument " + key + ": expected a number, found '" + v
                    + "'", e);
        }
    }
}
