package org.leapformer.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * Softmax attention, the quadratic baseline: softmax(q kᵀ · scale) v with scale 1/√D by default.
 * Its causal state is a {@link KvCache} that grows by one row per token. Half-precision inputs
 * are computed in fp32. Like {@link LinearForms}, each form closes the arrays it creates along the
 * way and leaves only what it returns.
 */
public final class SoftmaxForms {

    /** Added to the logits of masked keys: exp() of it is 0, and a fully masked row stays finite. */
    private static final double MASKED = -1e9;

    private SoftmaxForms() {}

    /**
     * Every query attends to every (unmasked) key.
     *
     * @param keyMask (B, Nk) true/non-zero for real keys, or null
     * @param scale the logit scale, or null for 1/√D
     * @return (B, H, Nq, Dv)
     */
    public static NDArray bidirectional(NDArray q, NDArray k, NDArray v, NDArray keyMask, Double scale) {
        return Temporaries.array(() -> bidirectionalForm(q, k, v, keyMask, scale));
    }

    private static NDArray bidirectionalForm(NDArray q, NDArray k, NDArray v, NDArray keyMask, Double scale) {
        DataType out = q.getDataType();
        DataType acc = Checks.accumulationType(out);
        NDArray qq = q.toType(acc, false);
        NDArray kk = k.toType(acc, false);
        NDArray vv = v.toType(acc, false);
        NDArray logits = logits(qq, kk, scale);
        if (keyMask != null) {
            long b = k.getShape().get(0);
            long n = k.getShape().get(2);
            try (NDArray m = keyMask.toType(acc, false).reshape(b, 1, 1, n); NDArray penalty = m.sub(1).mul(-MASKED)) {
                NDArray masked = logits.add(penalty);
                logits.close();
                logits = masked;
            }
        }
        return attend(logits, vv, out);
    }

    /**
     * Causal softmax attention continuing a cache: the N new queries at positions L..L+N−1 attend
     * to the cached keys and to the new keys up to their own position.
     *
     * @param cache the keys and values so far, or null at the start
     * @param scale the logit scale, or null for 1/√D
     * @return the output (B, H, N, Dv) and the cache extended by the N new keys and values
     */
    public static AttentionOutput<KvCache> causal(NDArray q, NDArray k, NDArray v, KvCache cache, Double scale) {
        return Temporaries.softmax(cache, () -> causalForm(q, k, v, cache, scale));
    }

    private static AttentionOutput<KvCache> causalForm(NDArray q, NDArray k, NDArray v, KvCache cache,
            Double scale) {
        DataType out = q.getDataType();
        DataType acc = Checks.accumulationType(out);
        NDArray qq = q.toType(acc, false);
        NDArray kAll;
        NDArray vAll;
        if (cache == null) {
            kAll = copyAs(k, acc);
            vAll = copyAs(v, acc);
        } else {
            Checks.require(cache.keys().getShape().get(3) == k.getShape().get(3)
                            && cache.values().getShape().get(3) == v.getShape().get(3)
                            && cache.keys().getShape().get(0) == k.getShape().get(0)
                            && cache.keys().getShape().get(1) == k.getShape().get(1),
                    "KV cache shape", "(B, H, L, D) and (B, H, L, Dv) matching k " + k.getShape() + " and v "
                            + v.getShape(), "keys " + cache.keys().getShape() + ", values " + cache.values().getShape());
            NDArray kc = k.toType(acc, false); // k itself when already in acc: not ours to close
            NDArray vc = v.toType(acc, false);
            kAll = cache.keys().concat(kc, 2);
            vAll = cache.values().concat(vc, 2);
            if (kc != k) {
                kc.close();
            }
            if (vc != v) {
                vc.close();
            }
        }
        long n = q.getShape().get(2);
        long total = kAll.getShape().get(2);
        NDArray logits = logits(qq, kAll, scale);
        try (NDArray penalty = causalPenalty(q.getManager(), n, total - n, acc)) {
            NDArray masked = logits.add(penalty);
            logits.close();
            logits = masked;
        }
        NDArray o = attend(logits, vAll, out);
        KvCache next = cache == null ? KvCache.of(q.getManager(), kAll, vAll) : cache.next(kAll, vAll);
        return new AttentionOutput<>(o, next);
    }

    /**
     * The attention weights softmax(q kᵀ · scale) of a whole sequence, (B, H, N, N): row i is what
     * query i gives each key, masked keys and (when causal) future keys get 0. For inspection: it
     * is the N×N matrix the forms multiply by v.
     *
     * @param keyMask (B, N) 1 for real keys, or null
     */
    public static NDArray weights(NDArray q, NDArray k, NDArray keyMask, boolean causal, Double scale) {
        return Temporaries.array(() -> weightsForm(q, k, keyMask, causal, scale));
    }

    private static NDArray weightsForm(NDArray q, NDArray k, NDArray keyMask, boolean causal, Double scale) {
        DataType acc = Checks.accumulationType(q.getDataType());
        NDArray qq = q.toType(acc, false); // q itself when already in acc
        NDArray kk = k.toType(acc, false);
        NDArray logits = logits(qq, kk, scale);
        if (qq != q) {
            qq.close();
        }
        if (kk != k) {
            kk.close();
        }
        long n = k.getShape().get(2);
        if (keyMask != null) {
            try (NDArray m = keyMask.toType(DataType.FLOAT64, false); NDArray r = m.reshape(k.getShape().get(0), 1, 1,
                    n); NDArray shut = r.eq(0); NDArray f = shut.toType(acc, false);
                    NDArray penalty = Scalars.mul(f, MASKED)) {
                NDArray masked = logits.add(penalty);
                logits.close();
                logits = masked;
            }
        }
        if (causal) {
            try (NDArray penalty = causalPenalty(q.getManager(), q.getShape().get(2), 0, acc)) {
                NDArray masked = logits.add(penalty);
                logits.close();
                logits = masked;
            }
        }
        NDArray w = logits.softmax(3);
        logits.close();
        return w;
    }

    /**
     * A copy in the given type that keeps the autograd graph: the cache must own its memory (on
     * the PyTorch engine toType(sameType, true) returns an alias, and an array created from a Java
     * buffer aliases that buffer), and gradients must reach k and v through it ({@code duplicate()}
     * would cut them: see {@link Scalars#copy}).
     */
    private static NDArray copyAs(NDArray x, DataType type) {
        return x.getDataType() == type ? Scalars.copy(x) : x.toType(type, false);
    }

    private static NDArray logits(NDArray q, NDArray k, Double scale) {
        double sc = scale != null ? scale : 1.0 / Math.sqrt(q.getShape().get(3));
        try (NDArray kt = k.swapAxes(2, 3); NDArray raw = q.matMul(kt)) {
            return Scalars.mul(raw, sc);
        }
    }

    private static NDArray attend(NDArray logits, NDArray v, DataType out) {
        NDArray o;
        try (NDArray w = logits.softmax(3)) {
            o = w.matMul(v);
        }
        logits.close();
        if (o.getDataType() != out) {
            NDArray cast = o.toType(out, false);
            o.close();
            return cast;
        }
        return o;
    }

    /** (n, offset+n): 0 where key j ≤ offset + query i, else a large negative number. */
    private static NDArray causalPenalty(NDManager mgr, long n, long offset, DataType type) {
        try (NDArray rows = mgr.arange(offset, offset + n, 1, DataType.INT64).expandDims(1);
                NDArray cols = mgr.arange(0, offset + n, 1, DataType.INT64).expandDims(0);
                NDArray future = cols.gt(rows); NDArray f = future.toType(type, false)) {
            return f.mul(MASKED);
        }
    }
}
