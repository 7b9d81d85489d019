package org.leapformer.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

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
        finite("q", q);
        finite("k", k);
        finite("v", v);
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
     * Checks a key padding mask: (B, Nk), true (or non-zero) where a key is real.
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
        boolean bad;
        try (NDArray nan = x.isNaN(); NDArray inf = x.isInfinite();
                NDArray either = nan.logicalOr(inf); NDArray any = either.any()) {
            bad = any.getBoolean();
        }
        if (bad) {
            throw new IllegalArgumentException(name + ": expected finite values, found NaN or Inf in a tensor of shape "
                    + x.getShape());
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
