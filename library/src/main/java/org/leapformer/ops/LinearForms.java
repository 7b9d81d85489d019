package org.leapformer.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The forms of linear attention over features, as plain functions. Shapes: features (B, H, N, F),
 * values (B, H, N, Dv), state S (B, H, F, Dv) and z (B, H, F).
 *
 * <pre>
 *   out_i = Σ_{j∈R(i)} (φq_i·φk_j) v_j  /  max(Σ_{j∈R(i)} φq_i·φk_j, c)
 *         = φq_iᵀ S_i / max(φq_i·z_i, c),   S_i = Σ_{j∈R(i)} φk_j v_jᵀ,  z_i = Σ_{j∈R(i)} φk_j
 * </pre>
 *
 * R(i) is every key (bidirectional, cross-attention) or the keys up to i (causal). Every causal
 * form takes an optional initial {@link LinearState} and returns the final one, so any form can
 * continue what another started. Half-precision inputs are computed in fp32 and the output is
 * cast back.
 *
 * <p>A form closes every array it creates along the way. Only what it returns stays: in the first
 * input's manager, as DJL places results, and in the caller's {@code NDScope} if one is open. A loop
 * of calls over long-lived inputs therefore holds no more than its results.
 */
public final class LinearForms {

    private LinearForms() {}

    /**
     * Bidirectional attention: every query reads every (unmasked) key. Equals cross-attention
     * over a source of these keys: {@code read(extend(null, fk, v, mask), fq)}.
     *
     * @param keyMask (B, Nk), true/non-zero for real keys, or null
     * @return the output (B, H, Nq, Dv) and the source state over all keys
     */
    public static AttentionOutput<LinearState> bidirectional(NDArray fq, NDArray fk, NDArray v, NDArray keyMask,
            LinearSpec spec) {
        LinearState state = extend(null, fk, v, keyMask, spec);
        try {
            return new AttentionOutput<>(read(state, fq, spec), state);
        } catch (RuntimeException e) {
            state.close();
            throw e;
        }
    }

    /**
     * Adds source keys and values to a cross-attention state (the streaming case: the source
     * grows between calls).
     *
     * @param state the source so far, or null for an empty source
     * @param fk key features of the new source tokens (B, H, N, F)
     * @param v their values (B, H, N, Dv)
     * @param keyMask (B, N) true/non-zero for real tokens, or null
     * @return a new state; the old one stays valid
     */
    public static LinearState extend(LinearState state, NDArray fk, NDArray v, NDArray keyMask, LinearSpec spec) {
        return Temporaries.state(state, () -> extendForm(state, fk, v, keyMask, spec));
    }

    private static LinearState extendForm(LinearState state, NDArray fk, NDArray v, NDArray keyMask,
            LinearSpec spec) {
        DataType out = fk.getDataType();
        DataType acc = Checks.accumulationType(out);
        NDArray k = fk.toType(acc, false);
        NDArray vv = v.toType(acc, false);
        if (keyMask != null) {
            Shape s = fk.getShape();
            try (NDArray m = keyMask.toType(acc, false).reshape(s.get(0), 1, s.get(2), 1)) {
                NDArray masked = k.mul(m);
                if (k != fk) {
                    k.close();
                }
                k = masked;
            }
        }
        NDArray s = transposeLast(k).matMul(vv); // (B, H, F, Dv)
        NDArray z = k.sum(new int[] {2}); // (B, H, F)
        if (state != null) {
            state.checkFits(fk, v);
            s = addInto(s, state.s());
            z = addInto(z, state.z());
        }
        long n = fk.getShape().get(2);
        return state == null ? LinearState.of(fk.getManager(), s, z, n, spec.blocks()) : state.next(s, z, n);
    }

    /**
     * Reads a state: every query attends to every key summed into it.
     *
     * @return (B, H, Nq, Dv)
     */
    public static NDArray read(LinearState state, NDArray fq, LinearSpec spec) {
        return Temporaries.array(() -> readForm(state, fq, spec));
    }

    private static NDArray readForm(LinearState state, NDArray fq, LinearSpec spec) {
        Checks.require(state.featureSize() == fq.getShape().get(3), "query feature size",
                "F=" + state.featureSize() + " as the state", fq.getShape().get(3));
        DataType out = fq.getDataType();
        NDArray q = fq.toType(state.s().getDataType(), false);
        NDArray num = q.matMul(state.s()); // (B, H, N, Dv)
        NDArray den;
        try (NDArray z = state.z().expandDims(3)) {
            den = q.matMul(z); // (B, H, N, 1)
        }
        return castBack(normalize(num, den, spec.clamp()), out);
    }

    /** Causal attention in the given form; see {@link #quadratic}, {@link #chunked}, {@link #recurrent}. */
    public static AttentionOutput<LinearState> causal(Form form, NDArray fq, NDArray fk, NDArray v,
            LinearState state, LinearSpec spec) {
        return switch (form) {
            case QUADRATIC -> quadratic(fq, fk, v, state, spec);
            case CHUNKED -> chunked(fq, fk, v, state, spec);
            case RECURRENT -> recurrent(fq, fk, v, state, spec);
        };
    }

    /**
     * Causal attention through masked N×N scores plus the initial state. O(N²) time and memory:
     * the reference the other forms are checked against.
     */
    public static AttentionOutput<LinearState> quadratic(NDArray fq, NDArray fk, NDArray v, LinearState state,
            LinearSpec spec) {
        return Temporaries.linear(state, () -> quadraticForm(fq, fk, v, state, spec));
    }

    private static AttentionOutput<LinearState> quadraticForm(NDArray fq, NDArray fk, NDArray v, LinearState state,
            LinearSpec spec) {
        checkCausal(fq, fk, v, state);
        DataType out = fq.getDataType();
        DataType acc = accType(fq, state);
        NDArray q = fq.toType(acc, false);
        NDArray k = fk.toType(acc, false);
        NDArray vv = v.toType(acc, false);
        long n = q.getShape().get(2);
        NDArray scores;
        try (NDArray raw = q.matMul(transposeLast(k)); NDArray mask = lowerTriangle(q.getManager(), n, acc)) {
            scores = raw.mul(mask); // (B, H, N, N)
        }
        NDArray num = scores.matMul(vv); // (B, H, N, Dv)
        NDArray den = scores.sum(new int[] {3}, true); // (B, H, N, 1)
        scores.close();
        if (state != null) {
            num = addInto(num, q.matMul(state.s()));
            try (NDArray z = state.z().expandDims(3)) {
                den = addInto(den, q.matMul(z));
            }
        }
        NDArray o = castBack(normalize(num, den, spec.clamp()), out);
        return new AttentionOutput<>(o, accumulate(state, k, vv, spec));
    }

    /**
     * Causal attention in chunks of C tokens: quadratic inside a chunk, the running state between
     * chunks (an exclusive prefix sum over per-chunk states). O(N·C + N/C·F·Dv) memory. Up to two
     * chunks (N ≤ 2C) it runs the quadratic form, the same sums in one piece: for so few chunks
     * the prefix machinery costs more than it saves (a LeaP layer's forward+backward at B=32,
     * N=128, C=64 took 34 ms through the quadratic form against 49 ms in two chunks).
     */
    public static AttentionOutput<LinearState> chunked(NDArray fq, NDArray fk, NDArray v, LinearState state,
            LinearSpec spec) {
        return Temporaries.linear(state, () -> chunkedForm(fq, fk, v, state, spec));
    }

    private static AttentionOutput<LinearState> chunkedForm(NDArray fq, NDArray fk, NDArray v, LinearState state,
            LinearSpec spec) {
        checkCausal(fq, fk, v, state);
        int c = spec.chunkSize();
        Shape qs = fq.getShape();
        long b = qs.get(0);
        long h = qs.get(1);
        long n = qs.get(2);
        long f = qs.get(3);
        long dv = v.getShape().get(3);
        if (n <= 2L * c) {
            return quadratic(fq, fk, v, state, spec);
        }
        DataType out = fq.getDataType();
        DataType acc = accType(fq, state);
        NDManager mgr = fq.getManager();
        long nc = (n + c - 1) / c;
        long pad = nc * c - n;
        NDArray q = padTokens(fq.toType(acc, false), pad).reshape(b, h, nc, c, f);
        NDArray k = padTokens(fk.toType(acc, false), pad).reshape(b, h, nc, c, f);
        // values with a column of ones: one product gives the numerator (the first Dv columns) and
        // the denominator (the last), and the chunk sums [S | z] of the state
        NDArray vv;
        NDArray vAcc = v.toType(acc, false); // v itself when already in acc
        try (NDArray ones = mgr.ones(new Shape(b, h, n, 1), acc);
                NDArray va = NDArrays.concat(new NDList(vAcc, ones), 3)) {
            vv = padTokens(va, pad).reshape(b, h, nc, c, dv + 1);
        }
        if (vAcc != v) {
            vAcc.close();
        }
        NDArray kv = transposeLast(k).matMul(vv); // (B, H, nc, F, Dv+1): per chunk [Σ k vᵀ | Σ k]
        NDArray initial = null;
        if (state != null) {
            try (NDArray z = state.z().expandDims(3)) {
                initial = NDArrays.concat(new NDList(state.s(), z), 3); // (B, H, F, Dv+1)
            }
        }
        NDArray prev = exclusivePrefix(kv, initial); // (B, H, nc, F, Dv+1): the state before each chunk

        NDArray scores = q.matMul(transposeLast(k)); // (B, H, nc, C, C)
        try (NDArray mask = lowerTriangle(mgr, c, acc)) {
            // in place: the product's backward needs q and k, not its output, so autograd allows it
            scores.muli(mask);
        }
        NDArray numDen = scores.matMul(vv); // (B, H, nc, C, Dv+1)
        scores.close();
        numDen = addInto(numDen, q.matMul(prev));
        prev.close();
        NDArray num = numDen.get("..., :{}", dv);
        NDArray den = numDen.get("..., {}:", dv);
        numDen.close();
        NDArray o;
        try (NDArray normalized = normalize(num, den, spec.clamp()); // closes num and den
                NDArray flat = normalized.reshape(b, h, nc * c, dv)) {
            o = castBack(flat.get(":, :, :{}", n), out);
        }
        NDArray total = kv.sum(new int[] {2}); // (B, H, F, Dv+1)
        kv.close();
        if (initial != null) {
            total = addInto(total, initial);
            initial.close();
        }
        NDArray s = total.get("..., :{}", dv);
        NDArray z = total.get("..., {}", dv);
        total.close();
        LinearState next = state == null ? LinearState.of(fq.getManager(), s, z, n, spec.blocks())
                : state.next(s, z, n);
        return new AttentionOutput<>(o, next);
    }

    /**
     * Causal attention one token at a time through the state: the decoding form. Memory per token
     * is constant; a segment of N tokens is N steps.
     */
    public static AttentionOutput<LinearState> recurrent(NDArray fq, NDArray fk, NDArray v, LinearState state,
            LinearSpec spec) {
        return Temporaries.linear(state, () -> recurrentForm(fq, fk, v, state, spec));
    }

    private static AttentionOutput<LinearState> recurrentForm(NDArray fq, NDArray fk, NDArray v, LinearState state,
            LinearSpec spec) {
        checkCausal(fq, fk, v, state);
        Shape qs = fq.getShape();
        long n = qs.get(2);
        if (n == 0) {
            return quadratic(fq, fk, v, state, spec); // an empty output and the state unchanged, as every form
        }
        DataType out = fq.getDataType();
        DataType acc = accType(fq, state);
        NDManager mgr = fq.getManager();
        NDArray s;
        NDArray z;
        if (state == null) {
            s = mgr.zeros(new Shape(qs.get(0), qs.get(1), qs.get(3), v.getShape().get(3)), acc);
            z = mgr.zeros(new Shape(qs.get(0), qs.get(1), qs.get(3), 1), acc);
        } else {
            s = state.s();
            z = state.z().expandDims(3);
        }
        NDList qSteps = fq.toType(acc, false).split(n, 2); // N × (B, H, 1, F)
        NDList kSteps = transposeLast(fk.toType(acc, false)).split(n, 3); // N × (B, H, F, 1)
        NDList vSteps = v.toType(acc, false).split(n, 2); // N × (B, H, 1, Dv)
        NDList outs = new NDList((int) n);
        for (int t = 0; t < n; t++) {
            NDArray kt = kSteps.get(t);
            NDArray sNext;
            try (NDArray outer = kt.matMul(vSteps.get(t))) {
                sNext = s.add(outer); // (B, H, F, Dv)
            }
            NDArray zNext = z.add(kt); // (B, H, F, 1)
            if (state == null || s != state.s()) {
                s.close();
            }
            z.close();
            s = sNext;
            z = zNext;
            NDArray qt = qSteps.get(t);
            outs.add(normalize(qt.matMul(s), qt.matMul(z), spec.clamp())); // (B, H, 1, Dv)
        }
        NDArray o = castBack(n == 1 ? outs.singletonOrThrow() : NDArrays.concat(outs, 2), out);
        if (n != 1) {
            outs.close();
        }
        qSteps.close();
        kSteps.close();
        vSteps.close();
        NDArray zFlat = z.squeeze(3);
        z.close();
        LinearState next = state == null ? LinearState.of(mgr, s, zFlat, n, spec.blocks()) : state.next(s, zFlat, n);
        return new AttentionOutput<>(o, next);
    }

    /**
     * The normalised attention weights of a whole sequence, (B, H, N, N): w_ij = s_ij / max(Σ_j s_ij,
     * c) with s_ij = φq_i·φk_j over the keys query i reads (all real keys, or those up to i when
     * causal). Row i times v is the form's output for query i. For inspection: the forms never build
     * this N×N matrix but the quadratic one.
     *
     * @param keyMask (B, N) 1 for real keys, or null
     */
    public static NDArray weights(NDArray fq, NDArray fk, NDArray keyMask, boolean causal, LinearSpec spec) {
        return Temporaries.array(() -> weightsForm(fq, fk, keyMask, causal, spec));
    }

    private static NDArray weightsForm(NDArray fq, NDArray fk, NDArray keyMask, boolean causal, LinearSpec spec) {
        DataType acc = Checks.accumulationType(fq.getDataType());
        NDArray q = fq.toType(acc, false); // fq itself when already in acc
        NDArray k = fk.toType(acc, false);
        NDArray scores;
        try (NDArray kt = transposeLast(k)) {
            scores = q.matMul(kt); // (B, H, N, N)
        }
        if (q != fq) {
            q.close();
        }
        if (k != fk) {
            k.close();
        }
        long n = fk.getShape().get(2);
        if (causal) {
            try (NDArray mask = lowerTriangle(fq.getManager(), n, acc)) {
                NDArray masked = scores.mul(mask);
                scores.close();
                scores = masked;
            }
        }
        if (keyMask != null) {
            try (NDArray m = keyMask.toType(DataType.FLOAT64, false); NDArray r = m.reshape(fk.getShape().get(0), 1, 1,
                    n); NDArray f = r.toType(acc, false)) {
                NDArray masked = scores.mul(f);
                scores.close();
                scores = masked;
            }
        }
        NDArray den = scores.sum(new int[] {3}, true);
        return normalize(scores, den, spec.clamp());
    }

    /**
     * num / den with the clamp: max(den, c); without a clamp, a denominator of exactly 0 (whose
     * numerator is then 0 too, as features are non-negative) gives 0, never NaN.
     */
    public static NDArray normalize(NDArray num, NDArray den, Double clamp) {
        NDArray d;
        if (clamp != null) {
            d = Scalars.maximum(den, clamp);
        } else {
            try (NDArray zero = den.eq(0); NDArray one = den.onesLike()) {
                d = NDArrays.where(zero, one, den);
            }
        }
        NDArray o = num.div(d);
        d.close();
        num.close();
        den.close();
        return o;
    }

    private static LinearState accumulate(LinearState state, NDArray k, NDArray v, LinearSpec spec) {
        NDArray s = transposeLast(k).matMul(v);
        NDArray z = k.sum(new int[] {2});
        long n = k.getShape().get(2);
        if (state == null) {
            return LinearState.of(k.getManager(), s, z, n, spec.blocks());
        }
        return state.next(addInto(s, state.s()), addInto(z, state.z()), n);
    }

    /** Σ over previous chunks of x (B, H, nc, ...) along axis 2, plus the initial value. */
    private static NDArray exclusivePrefix(NDArray x, NDArray initial) {
        Shape s = x.getShape();
        long nc = s.get(2);
        NDArray prefix;
        try (NDArray inclusive = x.cumSum(2); NDArray head = inclusive.get(":, :, :{}", nc - 1);
                NDArray zero = x.getManager().zeros(shapeWithAxis2(s, 1), x.getDataType())) {
            prefix = NDArrays.concat(new NDList(zero, head), 2);
        }
        if (initial != null) {
            try (NDArray init = initial.expandDims(2)) {
                prefix = addInto(prefix, init);
            }
        }
        return prefix;
    }

    private static Shape shapeWithAxis2(Shape s, long value) {
        long[] dims = s.getShape().clone(); // Shape.getShape() exposes its own array
        dims[2] = value;
        return new Shape(dims);
    }

    private static NDArray padTokens(NDArray x, long pad) {
        if (pad == 0) {
            return x;
        }
        try (NDArray zeros = x.getManager().zeros(shapeWithAxis2(x.getShape(), pad), x.getDataType())) {
            return x.concat(zeros, 2);
        }
    }

    /** (n, n) with 1 where column ≤ row. */
    static NDArray lowerTriangle(NDManager mgr, long n, DataType type) {
        try (NDArray i = mgr.arange(n); NDArray rows = i.expandDims(1); NDArray cols = i.expandDims(0);
                NDArray keep = rows.gte(cols)) {
            return keep.toType(type, false);
        }
    }

    private static NDArray transposeLast(NDArray x) {
        int r = x.getShape().dimension();
        return x.swapAxes(r - 1, r - 2);
    }

    /** a + b, closing a. */
    private static NDArray addInto(NDArray a, NDArray b) {
        NDArray r = a.add(b);
        a.close();
        return r;
    }

    private static NDArray castBack(NDArray x, DataType type) {
        if (x.getDataType() == type) {
            return x;
        }
        NDArray r = x.toType(type, false);
        x.close();
        return r;
    }

    private static DataType accType(NDArray fq, LinearState state) {
        return state != null ? state.s().getDataType() : Checks.accumulationType(fq.getDataType());
    }

    private static void checkCausal(NDArray fq, NDArray fk, NDArray v, LinearState state) {
        Shape q = fq.getShape();
        Checks.require(q.dimension() == 4, "query features", "(B, H, N, F)", q);
        Checks.require(fk.getShape().equals(q), "key features", q + " as the query features", fk.getShape());
        Shape vs = v.getShape();
        Checks.require(vs.dimension() == 4 && vs.get(0) == q.get(0) && vs.get(1) == q.get(1) && vs.get(2) == q.get(2),
                "v shape", "(B=" + q.get(0) + ", H=" + q.get(1) + ", N=" + q.get(2) + ", Dv)", vs);
        if (state != null) {
            state.checkFits(fq, v);
        }
    }
}
