package org.leapformer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.BlockList;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.Pair;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Seeded initialisation and copying of a block's parameters by path.
 *
 * <p>A parameter's <em>path</em> ({@link #paths}) is the names of the child blocks leading to it
 * from the block it is read from and its own name, joined by {@code _}: e.g.
 * {@code backbone_layer0_attention_query_weight} in a {@link DecoderLM}. Unlike the keys of DJL's
 * {@link Block#getParameters()} ({@code 01backbone_03layer0_02attention_01query_weight}) it carries
 * no child positions, which move when a block is added before them (one more layer renumbers the
 * final norm).
 *
 * <p>{@link #reinitialize} draws every parameter again from a generator of its own, seeded from
 * {@link #parameterSeed(long, String) (seed, path)}: the initial value of a parameter is then a
 * function of the seed, its path, its shape, its data type and its initializer only (on a given
 * device and libtorch build), whatever other parameters the model holds. Two models built with the
 * same seed start with equal values in every parameter they share (same path, shape and
 * initializer); adding a block (a LeaP module, an untied head, a layer) changes no other
 * parameter's initial value.
 * A parameter whose initializer differs between two models differs as its distribution does: a
 * LeaP module's output bias b2, drawn from U(±1/√h), for two hidden sizes h.
 * {@link #copyMatching} copies the parameters two blocks share from one into the other.
 */
public final class Parameters {

    /** The path the generator left behind by {@link #reinitialize} is seeded with (no parameter has it). */
    private static final String AFTER = "";

    private Parameters() {}

    /**
     * Every parameter of a block by path (its own parameters first, then its children's in order):
     * a child's name without the position DJL puts before it ({@code 01}, {@code 02}, ...), unless two
     * children of one block would then have the same name (as in a {@code SequentialBlock} of two
     * {@code Linear}s): those keep DJL's names.
     *
     * @param block any block, initialised or not
     * @return an unmodifiable map from path to parameter
     */
    public static Map<String, Parameter> paths(Block block) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect(block, "", out);
        return Collections.unmodifiableMap(out);
    }

    private static void collect(Block block, String prefix, Map<String, Parameter> out) {
        for (Pair<String, Parameter> p : block.getDirectParameters()) {
            out.put(prefix + p.getKey(), p.getValue());
        }
        BlockList children = block.getChildren();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < children.size(); i++) {
            String key = children.get(i).getKey();
            String position = String.format(Locale.ROOT, "%02d", i + 1);
            names.add(key.startsWith(position) && key.length() > position.length()
                    ? key.substring(position.length()) : key);
        }
        for (int i = 0; i < children.size(); i++) {
            String name = Collections.frequency(names, names.get(i)) > 1 ? children.get(i).getKey() : names.get(i);
            collect(children.get(i).getValue(), prefix + name + "_", out);
        }
    }

    /**
     * The seed of the generator a parameter is drawn from: FNV-1a (64-bit) of the path's UTF-8
     * bytes, mixed with the seed by SplitMix64's finaliser. Stable across runs, JVMs and platforms.
     *
     * @param seed the model seed
     * @param path the parameter's path
     * @return a 64-bit seed (libtorch's CPU generator uses its low 32 bits)
     */
    public static long parameterSeed(long seed, String path) {
        long h = 0xcbf29ce484222325L;
        for (byte b : path.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return mix(h ^ mix(seed + 0x9e3779b97f4a7c15L));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /**
     * Draws every parameter of an initialised block again, each from libtorch's generator seeded
     * with {@link #parameterSeed(long, String) parameterSeed(seed, path)} just before its own
     * initializer runs (the same initializer and distribution as {@link Block#initialize}: Xavier
     * for DJL's Linear weights, N(0, 0.02²) for embedding tables, U(±1/√fan_in) for LeaP modules,
     * zeros and ones for biases and norms). The new values are copied into the existing arrays in
     * place, without autograd history, so references to them stay valid.
     *
     * <p>Afterwards libtorch's generator is seeded with {@code parameterSeed(seed, "")}: what is
     * drawn next (dropout, sampling) does not depend on which parameters the block has either.
     * DJL's Java-side {@code RandomUtils} is not touched.
     *
     * @param block an initialised block; its parameter paths ({@link #paths}) are relative to it
     * @param seed the model seed
     * @throws IllegalStateException when a parameter is not initialised or has no initializer
     */
    public static void reinitialize(Block block, long seed) {
        Map<String, Parameter> params = paths(block);
        for (Map.Entry<String, Parameter> p : params.entrySet()) {
            requireInitialised(p.getKey(), p.getValue(), "the block to reinitialise");
            if (p.getValue().getInitializer() == null) {
                throw new IllegalStateException("parameter " + p.getKey() + ": expected an initializer to draw "
                        + "from, found none (set with Parameter.setInitializer)");
            }
        }
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            for (Map.Entry<String, Parameter> p : params.entrySet()) {
                NDArray dst = p.getValue().getArray();
                Initializer init = p.getValue().getInitializer();
                try (NDManager m = dst.getManager().newSubManager(dst.getDevice())) {
                    JniUtils.setSeed(parameterSeed(seed, p.getKey()));
                    NDArray fresh = init.initialize(m, dst.getShape(), dst.getDataType());
                    if (!fresh.getShape().equals(dst.getShape()) || fresh.getDataType() != dst.getDataType()) {
                        throw new IllegalStateException("parameter " + p.getKey() + ": expected its initializer to "
                                + "give " + dst.getShape() + " " + dst.getDataType() + ", found "
                                + fresh.getShape() + " " + fresh.getDataType());
                    }
                    dst.set(new NDIndex("..."), fresh);
                }
            }
        } finally {
            JniUtils.setGradMode(grad);
            JniUtils.setSeed(parameterSeed(seed, AFTER));
        }
    }

    /**
     * Copies the value of every parameter of {@code to} that {@code from} has at the same path
     * ({@link #paths}) with the same shape. Values are copied natively into {@code to}'s existing arrays (converted
     * to their data type and device when these differ), with no autograd history and no shared
     * memory: changing {@code from} afterwards leaves {@code to} as it is. Nothing else changes.
     *
     * @param from the block to copy from, initialised
     * @param to the block to copy into, initialised
     * @return what was copied, what was skipped and why
     * @throws IllegalStateException when a parameter of either block is not initialised
     */
    public static CopyReport copyMatching(Block from, Block to) {
        Map<String, Parameter> source = parameterMap(from, "the source block");
        Map<String, Parameter> target = parameterMap(to, "the target block");
        List<String> copied = new ArrayList<>();
        List<ShapeMismatch> mismatched = new ArrayList<>();
        List<String> missingInSource = new ArrayList<>();
        List<String> missingInTarget = new ArrayList<>();
        for (String path : source.keySet()) {
            if (!target.containsKey(path)) {
                missingInTarget.add(path);
            }
        }
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            for (Map.Entry<String, Parameter> e : target.entrySet()) {
                String path = e.getKey();
                Parameter s = source.get(path);
                if (s == null) {
                    missingInSource.add(path);
                    continue;
                }
                NDArray src = s.getArray();
                NDArray dst = e.getValue().getArray();
                if (!src.getShape().equals(dst.getShape())) {
                    mismatched.add(new ShapeMismatch(path, src.getShape(), dst.getShape()));
                    continue;
                }
                if (src == dst) {
                    copied.add(path);
                    continue;
                }
                try (NDManager m = dst.getManager().newSubManager(dst.getDevice())) {
                    NDArray value = src;
                    if (!value.getDevice().equals(dst.getDevice())) {
                        value = value.toDevice(dst.getDevice(), true);
                        value.attach(m);
                    }
                    if (value.getDataType() != dst.getDataType()) {
                        value = value.toType(dst.getDataType(), true);
                        value.attach(m);
                    }
                    dst.set(new NDIndex("..."), value);
                }
                copied.add(path);
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
        return new CopyReport(List.copyOf(copied), List.copyOf(mismatched), List.copyOf(missingInSource),
                List.copyOf(missingInTarget));
    }

    private static Map<String, Parameter> parameterMap(Block block, String what) {
        Map<String, Parameter> map = paths(block);
        for (Map.Entry<String, Parameter> p : map.entrySet()) {
            requireInitialised(p.getKey(), p.getValue(), what);
        }
        return map;
    }

    private static void requireInitialised(String path, Parameter p, String what) {
        if (!p.isInitialized()) {
            throw new IllegalStateException("parameter " + path + " of " + what + ": expected an initialised "
                    + "array (call initialize first), found none");
        }
    }

    /**
     * A parameter both blocks have at one path, with different shapes (not copied).
     *
     * @param path the parameter's path
     * @param source its shape in the source block
     * @param target its shape in the target block
     */
    public record ShapeMismatch(String path, Shape source, Shape target) {
        @Override
        public String toString() {
            return path + " " + source + " -> " + target;
        }
    }

    /**
     * What {@link #copyMatching} did, each list in the order of the block it comes from.
     *
     * @param copied paths copied (same path, same shape), in the target's order
     * @param shapeMismatches paths in both blocks with different shapes, left as they were in the target
     * @param missingInSource paths of the target the source does not have, left as they were
     * @param missingInTarget paths of the source the target does not have, ignored
     */
    public record CopyReport(List<String> copied, List<ShapeMismatch> shapeMismatches, List<String> missingInSource,
            List<String> missingInTarget) {

        /** Whether every parameter of both blocks was copied (the blocks have the same parameters). */
        public boolean complete() {
            return shapeMismatches.isEmpty() && missingInSource.isEmpty() && missingInTarget.isEmpty();
        }

        @Override
        public String toString() {
            return "copied " + copied.size() + ", shape mismatches " + shapeMismatches + ", missing in source "
                    + missingInSource + ", missing in target " + missingInTarget;
        }
    }
}
