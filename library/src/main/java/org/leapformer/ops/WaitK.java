package org.leapformer.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Cross-attention under a wait-k policy (prefix-to-prefix training, Ma et al. 2019, STACL): target
 * position t reads the first g(t) = min(t + k, S) source tokens. k = {@link #OFFLINE} reads the
 * whole source (ordinary offline training).
 *
 * <p>Linear attention needs no per-target copy of the source state: since g grows by one token
 * per target position, source token j = t + k − 1 is aligned with target position t, the first
 * k − 1 source tokens form the initial state, and the staircase becomes the ordinary causal mask.
 * Any causal form (quadratic, chunked, recurrent) then computes it in O(T·F·Dv) time and
 * O(C² + F·Dv) memory per chunk. {@link #linearQuadratic} is the masked T×S reference.
 *
 * <pre>
 *   fk' = fk · keyMask                                 padded source tokens add nothing
 *   S0  = Σ_{j &lt; k−1} fk'_j v_jᵀ                     the initial state
 *   fkA_t = fk'_{t+k−1}, vA_t = v_{t+k−1} (0 past S)   aligned with target position t
 *   out = causal(fq, fkA, vA, S0)                      = Σ_{j &lt; g(t)} s_tj v_j / max(Σ s_tj, clamp)
 * </pre>
 */
public final class WaitK {

    /** k for offline training: every target position reads the whole source. */
    public static final long OFFLINE = Long.MAX_VALUE;

    private WaitK() {}

    /** g(t) = min(t + k, S): how many source tokens target position t (0-based) reads. */
    public static long visible(long t, long k, long sourceLength) {
        checkLag(k);
        return k >= sourceLength || t >= sourceLength - k ? sourceLength : t + k;
    }

    /**
     * Wait-k linear cross-attention through a causal form over aligned source tokens.
     *
     * @param fq target query features (B, H, T, F)
     * @param fk source key features (B, H, S, F)
     * @param v source values (B, H, S, Dv)
     * @param keyMask (B, S) 1 for real source tokens, 0 for padding, or null
     * @param k the lag, at least 1, or {@link #OFFLINE}
     * @return (B, H, T, Dv)
     */
    public static NDArray linear(Form form, NDArray fq, NDArray fk, NDArray v, NDArray keyMask, long k,
            LinearSpec spec) {
        check(fq, fk, v, keyMask, k);
        long t = fq.getShape().get(2);
        long s = fk.getShape().get(2);
        if (k >= s) {
            try (LinearState all = LinearForms.extend(null, fk, v, keyMask, spec)) {
                return LinearForms.read(all, fq, spec);
            }
        }
        NDManager m = fq.getManager();
        try (NDManager scope = m.newSubManager()) {
            NDArray k2 = masked(fk, keyMask);
            k2.attach(scope);
            LinearState initial = null;
            if (k > 1) {
                NDArray head = k2.get(new NDIndex(":, :, :{}", k - 1));
                NDArray vh = v.get(new NDIndex(":, :, :{}", k - 1));
                head.attach(scope);
                vh.attach(scope);
                initial = LinearForms.extend(null, head, vh, null, spec);
            }
            NDArray ka = aligned(k2, k, t);
            NDArray va = aligned(v, k, t);
            ka.attach(scope);
            va.attach(scope);
            AttentionOutput<LinearState> r = LinearForms.causal(form, fq, ka, va, initial, spec);
            r.state().close();
            if (initial != null) {
                initial.close();
            }
            NDArray out = r.output();
            out.attach(m);
            return out;
        }
    }

    /** The masked T×S reference of {@link #linear}: O(T·S) memory. */
    public static NDArray linearQuadratic(NDArray fq, NDArray fk, NDArray v, NDArray keyMask, long k,
            LinearSpec spec) {
        check(fq, fk, v, keyMask, k);
        DataType acc = Checks.accumulationType(fq.getDataType());
        try (NDManager scope = fq.getManager().newSubManager()) {
            NDArray q = fq.toType(acc, true);
            NDArray kk = fk.toType(acc, true);
            NDArray vv = v.toType(acc, true);
            q.attach(scope);
            kk.attach(scope);
            vv.attach(scope);
            NDArray mask = mask(scope, fq, fk, keyMask, k, acc);
            NDArray scores = q.matMul(kk.transpose(0, 1, 3, 2)).mul(mask);
            NDArray num = scores.matMul(vv);
            NDArray den = scores.sum(new int[] {3}, true);
            NDArray out = LinearForms.normalize(num, den, spec.clamp()).toType(fq.getDataType(), true);
            out.attach(fq.getManager());
            return out;
        }
    }

    /**
     * Wait-k softmax cross-attention (the baseline): softmax(q kᵀ·scale) over the visible source
     * tokens, through the masked T×S scores.
     *
     * @param q (B, H, T, D), k (B, H, S, D), v (B, H, S, Dv)
     */
    public static NDArray softmax(NDArray q, NDArray k, NDArray v, NDArray keyMask, long lag, double scale) {
        check(q, k, v, keyMask, lag);
        DataType acc = Checks.accumulationType(q.getDataType());
        try (NDManager scope = q.getManager().newSubManager()) {
            NDArray qq = q.toType(acc, true);
            NDArray kk = k.toType(acc, true);
            NDArray vv = v.toType(acc, true);
            qq.attach(scope);
            kk.attach(scope);
            vv.attach(scope);
            NDArray visible = mask(scope, q, k, keyMask, lag, acc);
            NDArray raw = Scalars.mul(qq.matMul(kk.transpose(0, 1, 3, 2)), scale);
            // −1e30 where hidden: every row sees at least one token (k >= 1, a non-empty source)
            NDArray hidden = visible.sub(1).mul(1e30); // a mask: no gradient
            NDArray w = raw.mul(visible).add(hidden).softmax(3);
            NDArray out = w.matMul(vv).toType(q.getDataType(), true);
            out.attach(q.getManager());
            return out;
        }
    }

    /** The visible-source mask (1, 1, T, S) or (B, 1, T, S) with the key mask. */
    private static NDArray mask(NDManager scope, NDArray fq, NDArray fk, NDArray keyMask, long k, DataType acc) {
        long t = fq.getShape().get(2);
        long s = fk.getShape().get(2);
        NDArray rows = scope.arange(0, (int) t, 1, DataType.INT64).reshape(t, 1);
        NDArray cols = scope.arange(0, (int) s, 1, DataType.INT64).reshape(1, s);
        long lag = Math.min(k, s);
        NDArray limit = rows.add(lag); // t + k (no gradient flows through the mask)
        NDArray visible = cols.lt(limit).toType(acc, false).reshape(1, 1, t, s);
        if (keyMask != null) {
            NDArray km = keyMask.toType(acc, false).reshape(fk.getShape().get(0), 1, 1, s);
            km.attach(scope);
            visible = visible.mul(km);
        }
        return visible;
    }

    /** x (B, H, S, F) · keyMask, or a copy of x without a mask; either way gradients reach x. */
    private static NDArray masked(NDArray x, NDArray keyMask) {
        if (keyMask == null) {
            return Scalars.copy(x); // the caller closes what it gets: x itself is not ours to close
        }
        Shape s = x.getShape();
        try (NDArray m = keyMask.toType(x.getDataType(), false).reshape(s.get(0), 1, s.get(2), 1)) {
            return x.mul(m);
        }
    }

    /** Tokens k−1 .. k−1+T−1 of x along axis 2, zero past the source's end: (B, H, T, F). */
    private static NDArray aligned(NDArray x, long k, long t) {
        Shape s = x.getShape();
        long from = k - 1;
        long to = Math.min(s.get(2), from + t);
        NDArray part = x.get(new NDIndex(":, :, {}:{}", from, to));
        long missing = t - (to - from);
        if (missing == 0) {
            return part;
        }
        try (part; NDArray zeros = x.getManager().zeros(new Shape(s.get(0), s.get(1), missing, s.get(3)),
                x.getDataType())) {
            return NDArrays.concat(new NDList(part, zeros), 2);
        }
    }

    private static void checkLag(long k) {
        Checks.require(k >= 1, "wait-k lag", "k >= 1 (or WaitK.OFFLINE)", k);
    }

    private static void check(NDArray q, NDArray k, NDArray v, NDArray keyMask, long lag) {
        checkLag(lag);
        Checks.rank("q", q, 4, "(B, H, T, D)");
        Checks.rank("k", k, 4, "(B, H, S, D)");
        Checks.rank("v", v, 4, "(B, H, S, Dv)");
        Shape qs = q.getShape();
        Shape ks = k.getShape();
        Shape vs = v.getShape();
        Checks.require(ks.get(0) == qs.get(0) && ks.get(1) == qs.get(1) && ks.get(3) == qs.get(3), "k shape",
                "(B=" + qs.get(0) + ", H=" + qs.get(1) + ", S, " + qs.get(3) + ") to match q " + qs, ks);
        Checks.require(vs.get(0) == ks.get(0) && vs.get(1) == ks.get(1) && vs.get(2) == ks.get(2), "v shape",
                "(B, H, S) of k " + ks + " and any Dv", vs);
        Checks.require(ks.get(2) > 0, "source length", "at least one source token", ks.get(2));
        Checks.keyMask(keyMask, k);
    }
}
