package org.leapformer.inspect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import org.leapformer.nn.AttentionCore;
import org.leapformer.nn.AttentionKind;
import org.leapformer.nn.LinearAttention;
import org.leapformer.nn.SoftmaxAttention;
import org.leapformer.ops.Checks;
import org.leapformer.ops.FeatureMap;
import org.leapformer.ops.LinearForms;
import org.leapformer.ops.Scalars;
import org.leapformer.ops.SoftmaxForms;

/**
 * One layer of a {@link Trace}: its input and output, the projected q, k, v, the attention core's
 * output, and — computed when asked and kept — the proportions, the re-weighting map and the
 * normalised attention weights. Owned by the trace: closed with it.
 */
public final class LayerTrace {

    private final int index;
    private final AttentionCore<?> core;
    private final boolean causal;
    private final NDArray keyMask;
    private final NDArray input;
    private final NDArray q;
    private final NDArray k;
    private final NDArray v;
    private final NDArray attention;
    private final NDArray output;
    private NDArray queryProportions;
    private NDArray keyProportions;
    private NDArray reweighting;
    private NDArray weights;

    LayerTrace(int index, AttentionCore<?> core, boolean causal, NDArray keyMask, NDArray input, NDArray q, NDArray k,
            NDArray v, NDArray attention, NDArray output) {
        this.index = index;
        this.core = core;
        this.causal = causal;
        this.keyMask = keyMask;
        this.input = input;
        this.q = q;
        this.k = k;
        this.v = v;
        this.attention = attention;
        this.output = output;
    }

    /** What a layer trace holds, for {@link #values(Quantity)}. */
    public enum Quantity {
        INPUT, Q, K, V, ATTENTION, OUTPUT, QUERY_PROPORTIONS, KEY_PROPORTIONS, REWEIGHTING, WEIGHTS
    }

    /** The layer's index in the model. */
    public int index() {
        return index;
    }

    public AttentionKind kind() {
        return core.kind();
    }

    /** The residual stream entering the layer, (B, N, Dm). */
    public NDArray input() {
        return input;
    }

    /** Queries after the projection, (B, H, N, D) (before ReLU and re-weighting). */
    public NDArray q() {
        return q;
    }

    /** Keys after the projection, (B, H, N, D). */
    public NDArray k() {
        return k;
    }

    /** Values, (B, H, N, Dv). */
    public NDArray v() {
        return v;
    }

    /** The attention core's output per head, (B, H, N, Dv), before the heads are merged. */
    public NDArray attention() {
        return attention;
    }

    /** The layer's output, (B, N, Dm). */
    public NDArray output() {
        return output;
    }

    /**
     * Query proportions (B, H, N, 1): LeaP's learned p_q = P_Q(relu(q)), cosFormer's i/N.
     *
     * @throws IllegalStateException for ReLU-linear and softmax attention, which have none
     */
    public NDArray queryProportions() {
        if (queryProportions == null) {
            queryProportions = proportions(true);
        }
        return queryProportions;
    }

    /** Key proportions (B, H, N, 1), as {@link #queryProportions()}. */
    public NDArray keyProportions() {
        if (keyProportions == null) {
            keyProportions = proportions(false);
        }
        return keyProportions;
    }

    private NDArray proportions(boolean query) {
        if (!(core instanceof LinearAttention la) || !(kind() == AttentionKind.LEAP || kind() == AttentionKind.COSFORMER)) {
            throw new IllegalStateException("proportions of layer " + index + ": expected a LEAP or COSFORMER "
                    + "attention, found " + kind() + " (it has no proportions)");
        }
        NDManager m = q.getManager();
        ParameterStore ps = new ParameterStore(m, false);
        NDArray x = query ? q : k;
        NDArray p = query ? la.queryProportions(ps, x, 0, false) : la.keyProportions(ps, x, 0, false);
        Shape s = x.getShape();
        Shape full = new Shape(s.get(0), s.get(1), s.get(2), 1);
        if (p.getShape().equals(full)) {
            return p;
        }
        try (p; NDArray r = p.reshape(1, 1, s.get(2), 1)) { // cosFormer: (N, 1), the same for every sequence and head
            NDArray b = r.broadcast(full);
            NDArray c = b.duplicate();
            b.close();
            return c;
        }
    }

    /**
     * The re-weighting map cos(π/2·(p_q,i − p_k,j)), (B, H, N, N): how much the proportions let
     * query i weigh key j (before the mask and the ReLU dot products).
     *
     * @throws IllegalArgumentException when N exceeds {@link Trace#MAX_MATRIX_TOKENS}
     * @throws IllegalStateException for attentions without proportions
     */
    public NDArray reweighting() {
        if (reweighting == null) {
            checkMatrixSize("re-weighting map");
            NDArray pq = queryProportions();
            NDArray pk = keyProportions();
            try (NDArray pkt = pk.swapAxes(2, 3); NDArray diff = pq.sub(pkt); NDArray angle = Scalars.mul(diff,
                    Math.PI / 2)) {
                reweighting = angle.cos();
            }
        }
        return reweighting;
    }

    /**
     * The normalised attention weights, (B, H, N, N): row i is what query i gives each key (zero
     * for masked and, in a causal model, future keys), so that weights · v is {@link #attention()}.
     * Linear attention: s_ij / max(Σ_j s_ij, clamp) with s_ij = φq_i·φk_j; softmax: its softmax.
     *
     * @throws IllegalArgumentException when N exceeds {@link Trace#MAX_MATRIX_TOKENS}
     */
    public NDArray weights() {
        if (weights == null) {
            checkMatrixSize("attention weights");
            NDManager m = q.getManager();
            if (core instanceof SoftmaxAttention sa) {
                weights = SoftmaxForms.weights(q, k, keyMask, causal, sa.scale());
            } else {
                LinearAttention la = (LinearAttention) core;
                FeatureMap fm = la.featureMap(new ParameterStore(m, false), false, causal);
                try (NDArray fq = fm.queries(q, 0); NDArray fk = fm.keys(k, 0)) {
                    weights = LinearForms.weights(fq, fk, keyMask, causal, la.spec());
                }
            }
        }
        return weights;
    }

    private void checkMatrixSize(String what) {
        long n = q.getShape().get(2);
        Checks.require(n <= Trace.MAX_MATRIX_TOKENS, what + " of layer " + index, "at most Trace.MAX_MATRIX_TOKENS="
                + Trace.MAX_MATRIX_TOKENS + " tokens (an N×N matrix per sequence and head; trace a shorter "
                + "sequence)", "N=" + n);
    }

    /** A quantity as plain values. */
    public Values values(Quantity quantity) {
        return Values.of(switch (quantity) {
            case INPUT -> input;
            case Q -> q;
            case K -> k;
            case V -> v;
            case ATTENTION -> attention;
            case OUTPUT -> output;
            case QUERY_PROPORTIONS -> queryProportions();
            case KEY_PROPORTIONS -> keyProportions();
            case REWEIGHTING -> reweighting();
            case WEIGHTS -> weights();
        });
    }

    @Override
    public String toString() {
        return "LayerTrace(layer " + index + ", " + kind() + ", q " + q.getShape() + ")";
    }
}
