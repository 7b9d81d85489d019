package org.leapformer.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;

/**
 * Argument checks that run in Java before any native call, so bad input gives a message naming
 * what was expected and what was found instead of a crash inside libtorch.
 *
 * <p>Finite checks (NaN/Inf) cost one native reduction per tensor; they are on by default and
 * can be turned off with the system property {@code leap.checkFinite=false}.
 */
public final class Checks {

    private static final boolean FINITE =
            !"false".equalsIgnoreCase(System.getProperty("leap.checkFinite", "true"));

    private Checks() {}

    /**
     * A NaN or infinite value where finite ones were expected (an input, or the output of finite
     * inputs); the trainer takes it as a sign of divergence.
     */
    public static final class NonFiniteException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        public NonFiniteException(String message) {
            super(message);
        }
    }

    /** Throws unless {@code condition}; the message is built only on failure. */
    public static void require(boolean condition, String what, Object expected, Object found) {
        if (!condition) {
            throw new IllegalArgumentException(what + ": expected " + expected + ", found " + found);
        }
    }

    /** Checks that {@code x} is a floating-point tensor of the given rank. */
    public static void rank(String name, NDArray x, int rank, String legend) {
        if (x == null) {
            throw new IllegalArgumentException(name + ": expected a tensor " + legend + ", found null");
        }
        require(x.getShape().dimension() == rank, name, "a rank-" + rank + " tensor " + legend,
                "shape " + x.getShape());
        require(x.getDataType().isFloating(), name + " data type", "a floating-point type",
                x.getDataType());
    }

    /**
     * Checks queries, keys and values of an attention call: (B, H, Nq, D), (B, H, Nk, D),
     * (B, H, Nk, Dv), one data type and one device.
     *
     * @param selfAttention whether queries and keys are the same sequence (Nq == Nk)
     */
    public static void qkv(NDArray q, NDArray k, NDArray v, boolean selfAttention) {
        rank("q", q, 4, "(B, H, N, D)");
        rank("k", k, 4, "(B, H, N, D)");
        rank("v", v, 4, "(B, H, N, Dv)");
        Shape qs = q.getShape();
        Shape ks = k.getShape();
        Shape vs = v.getShape();
        require(ks.get(0) == qs.get(0) && ks.get(1) == qs.get(1) && ks.get(3) == qs.get(3),
                "k shape", "(B=" + qs.get(0) + ", H=" + qs.get(1) + ", N, D=" + qs.get(3) + ") as q",
                ks);
        if (selfAttention) {
            require(ks.get(2) == qs.get(2), "k length", "N=" + qs.get(2) + " as q (self-attention)",
                    "N=" + ks.get(2));
        }
        require(vs.get(0) == ks.get(0) && vs.get(1) == ks.get(1) && vs.get(2) == ks.get(2), "v shape",
                "(B=" + ks.get(0) + ", H=" + ks.get(1) + ", N=" + ks.get(2) + ", Dv) as k", vs);
        sameKind("k", q, k);
        sameKind("v", q, v);
        // NaN and Inf in q, k or v are found through the output ({@link #finiteOutput}): one pass instead
        // of three, with the same message naming the input
    }

    /** Checks source keys (B, H, N, D) and values (B, H, N, Dv) of a cross-attention source. */
    public static void kv(NDArray k, NDArray v) {
        rank("k", k, 4, "(B, H, N, D)");
        rank("v", v, 4, "(B, H, N, Dv)");
        Shape ks = k.getShape();
        Shape vs = v.getShape();
        require(vs.get(0) == ks.get(0) && vs.get(1) == ks.get(1) && vs.get(2) == ks.get(2), "v shape",
                "(B=" + ks.get(0) + ", H=" + ks.get(1) + ", N=" + ks.get(2) + ", Dv) as k", vs);
        require(v.getDataType() == k.getDataType(), "v data type", k.getDataType() + " (as k)", v.getDataType());
        require(v.getDevice().equals(k.getDevice()), "v device", k.getDevice() + " (as k)", v.getDevice());
        finite("k", k);
        finite("v", v);
    }

    /** Checks that {@code other} has the data type and device of {@code ref}. */
    public static void sameKind(String name, NDArray ref, NDArray other) {
        require(other.getDataType() == ref.getDataType(), name + " data type",
                ref.getDataType() + " (as q)", other.getDataType());
        require(other.getDevice().equals(ref.getDevice()), name + " device",
                ref.getDevice() + " (as q)", other.getDevice());
    }

    /**
     * Checks a key padding mask: (B, Nk), booleans or numbers that are exactly 0 (padding) or 1
     * (a real key). Other values (0.5, 2, NaN) would scale keys or poison the output, so they are
     * refused, naming the first one found.
     */
    public static void keyMask(NDArray mask, NDArray k) {
        if (mask == null) {
            return;
        }
        Shape ks = k.getShape();
        require(mask.getShape().dimension() == 2 && mask.getShape().get(0) == ks.get(0)
                        && mask.getShape().get(1) == ks.get(2),
                "key padding mask shape", "(B=" + ks.get(0) + ", N=" + ks.get(2) + ")",
                mask.getShape());
        require(mask.getDevice().equals(k.getDevice()), "key padding mask device", k.getDevice(),
                mask.getDevice());
        if (mask.getDataType() == DataType.BOOLEAN || mask.isEmpty()) {
            return;
        }
        try (NDArray zero = mask.eq(0); NDArray one = mask.eq(1); NDArray ok = zero.logicalOr(one);
                NDArray bad = ok.logicalNot(); NDArray any = bad.any()) {
            if (!any.getBoolean()) {
                return;
            }
            try (NDArray where = bad.nonzero(); NDArray first = where.get(0);
                    NDArray value = mask.toType(DataType.FLOAT64, false)) {
                long[] at = first.toLongArray();
                throw new IllegalArgumentException("key padding mask: expected only 0 (padding) and 1 (a real key), or "
                        + "booleans, found " + value.getDouble(at) + " at (b=" + at[0] + ", n=" + at[1] + ")");
            }
        }
    }

    /**
     * Checks that an attention output is finite. When it is not, the inputs are looked at: a NaN or
     * Inf among them is named ("q: expected finite values, ..."); otherwise finite inputs whose
     * products or sums exceed the data type's range gave Inf and then NaN, and the message says so
     * and gives the likely cause. One native reduction in the common case; skipped when finite
     * checks are off.
     *
     * @param what the computation, e.g. "LEAP causal attention (CHUNKED)"
     * @param inputs the named inputs, for the magnitudes in the message
     */
    public static NDArray finiteOutput(String what, NDArray out, NDArray... inputs) {
        if (!FINITE || out.isEmpty()) {
            return out;
        }
        if (!hasNonFinite(out)) {
            return out;
        }
        String[] inputNames = {"q", "k", "v"};
        for (int i = 0; i < inputs.length; i++) {
            if (hasNonFinite(inputs[i])) { // the input was not finite: name it
                out.close();
                throw new NonFiniteException(inputNames[i] + ": expected finite values, found NaN or Inf in a tensor of "
                        + "shape " + inputs[i].getShape());
            }
        }
        StringBuilder sizes = new StringBuilder();
        String[] names = {"q", "k", "v"};
        for (int i = 0; i < inputs.length; i++) {
            try (NDArray abs = inputs[i].abs(); NDArray max = abs.max(); NDArray d = max.toType(DataType.FLOAT64, false)) {
                sizes.append(i == 0 ? "" : ", ").append("max |").append(i < names.length ? names[i] : "input " + i)
                        .append("| = ").append(String.format(java.util.Locale.ROOT, "%.3g", d.getDouble()));
            }
        }
        DataType t = out.getDataType();
        out.close();
        throw new NonFiniteException(what + ": expected a finite output from finite inputs, found NaN or Inf in "
                + "the output " + out.getShape() + ". The inputs are finite (" + sizes + ") but their products or "
                + "running sums overflow " + t + " (largest value about " + maxValue(t) + "); scale the inputs down "
                + "(normalise them before attention) or compute in float64");
    }

    private static String maxValue(DataType t) {
        return switch (t) {
            case FLOAT16 -> "6.5e4";
            case BFLOAT16, FLOAT32 -> "3.4e38";
            default -> "1.8e308";
        };
    }

    /**
     * Checks that every parameter of a block (and of its children) has a value, before a forward
     * that would otherwise stop at DJL's bare "The array for parameter ... has not been
     * initialized". Java only, no native call: one walk over the parameter list.
     *
     * @param block the block about to run
     * @param name how the message names it, e.g. its {@code toString()}
     * @param initialize the call that initialises it, e.g. {@code "initialize(manager, dataType[, seed])"}
     * @throws IllegalStateException naming the block, its first parameter without a value and the call to make
     */
    public static void initialized(Block block, String name, String initialize) {
        for (Pair<String, Parameter> p : block.getParameters()) {
            if (!p.getValue().isInitialized()) {
                throw new IllegalStateException(name + ": expected an initialised block, found parameter '"
                        + p.getKey() + "' without a value; call " + initialize
                        + " first (or load saved parameters into it)");
            }
        }
    }

    /**
     * Checks that an input has the data type of the parameters it meets (a half-precision input to
     * a float32 layer would fail inside the engine).
     */
    public static void parameterType(String name, NDArray x, DataType parameters, String layer) {
        require(x.getDataType() == parameters, name + " data type", parameters + " (the data type of " + layer
                + "'s parameters; convert the input with toType(" + parameters + ", false) or initialise the layer "
                + "with " + x.getDataType() + ")", x.getDataType());
    }

    /**
     * Checks that integer ids lie in [0, size): token ids against the vocabulary, labels against
     * the classes. Two native reductions; an id out of range would otherwise fail inside the
     * engine ("index out of range in self").
     *
     * @param of what the range is, e.g. "the vocabulary"
     */
    public static void ids(String name, NDArray ids, long size, String of) {
        if (ids.isEmpty()) {
            return;
        }
        long min;
        long max;
        try (NDArray lo = ids.min(); NDArray hi = ids.max(); NDArray l = lo.toType(DataType.INT64, false);
                NDArray h = hi.toType(DataType.INT64, false)) {
            min = l.getLong();
            max = h.getLong();
        }
        require(min >= 0 && max < size, name, "ids in [0, " + size + ") (" + of + " has " + size + " entries)",
                "ids from " + min + " to " + max);
    }

    /** Checks Java ids as {@link #ids(String, NDArray, long, String)}, naming the first one out of range. */
    public static void ids(String name, int[] ids, long size, String of) {
        for (int i = 0; i < ids.length; i++) {
            int id = ids[i];
            require(id >= 0 && id < size, name, "ids in [0, " + size + ") (" + of + " has " + size + " entries)",
                    id + " at position " + i);
        }
    }

    /** Checks a chunk size. */
    public static void chunkSize(int chunk) {
        require(chunk > 0, "chunk size", "a positive number of tokens", chunk);
    }

    /** Checks a denominator clamp: null (no clamp) or a finite number ≥ 0. */
    public static void clamp(Double clamp) {
        if (clamp != null) {
            require(Double.isFinite(clamp) && clamp >= 0, "denominator clamp",
                    "null (no clamp) or a finite number >= 0", clamp);
        }
    }

    /** Throws when {@code x} holds NaN or ±Inf (skipped when finite checks are off). */
    public static void finite(String name, NDArray x) {
        if (!FINITE || x.isEmpty()) {
            return;
        }
        if (!hasNonFinite(x)) {
            return;
        }
        throw new NonFiniteException(name + ": expected finite values, found NaN or Inf in a tensor of shape "
                + x.getShape());
    }

    /**
     * Whether x holds NaN or ±Inf. One native reduction in the common case: the sum of finite values
     * is finite unless it overflows, and any NaN or Inf makes it NaN or Inf; only a non-finite sum
     * is looked at element by element.
     */
    static boolean hasNonFinite(NDArray x) {
        try (NDArray sum = x.sum(); NDArray d = sum.toType(DataType.FLOAT64, false)) {
            if (Double.isFinite(d.getDouble())) {
                return false;
            }
        }
        try (NDArray nan = x.isNaN(); NDArray inf = x.isInfinite(); NDArray either = nan.logicalOr(inf);
                NDArray any = either.any()) {
            return any.getBoolean();
        }
    }

    /** Whether finite checks are on ({@code leap.checkFinite}). */
    public static boolean finiteChecksEnabled() {
        return FINITE;
    }

    /** The data type computations run in: fp32 for half types (accumulate in fp32), else the input's. */
    public static DataType accumulationType(DataType t) {
        return t == DataType.FLOAT16 || t == DataType.BFLOAT16 ? DataType.FLOAT32 : t;
    }
}
