package org.leapformer.nn;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.IOException;
import org.leapformer.LeapEngine;
import org.leapformer.ops.AttentionOutput;
import org.leapformer.ops.Checks;
import org.leapformer.ops.Form;
import org.leapformer.ops.KvCache;
import org.leapformer.ops.SoftmaxForms;

/**
 * Softmax attention over projected heads, the baseline: softmax(q kᵀ/√D) v. Its causal state is
 * a {@link KvCache}; the {@link Form} is accepted for API symmetry and does not change the
 * computation (always the full masked score matrix over the cache plus the new tokens).
 */
public final class SoftmaxAttention extends AbstractBlock implements AttentionCore<KvCache> {

    private static final byte VERSION = 1;

    private final Double scale;
    private final boolean causal;

    private SoftmaxAttention(Builder b) {
        super(VERSION);
        this.scale = b.scale;
        this.causal = b.causal;
    }

    /**
     * A builder for a softmax attention block.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The logit scale, or null for 1/√D.
     *
     * @return the scale, or null
     */
    public Double scale() {
        return scale;
    }

    @Override
    public AttentionKind kind() {
        return AttentionKind.SOFTMAX;
    }

    @Override
    public NDArray bidirectional(ParameterStore ps, NDArray q, NDArray k, NDArray v, NDArray keyMask,
            boolean training) {
        Checks.qkv(q, k, v, false);
        Checks.keyMask(keyMask, k);
        return Checks.finiteOutput("SOFTMAX bidirectional attention", SoftmaxForms.bidirectional(q, k, v, keyMask,
                scale), q, k, v);
    }

    @Override
    public AttentionOutput<KvCache> causal(ParameterStore ps, NDArray q, NDArray k, NDArray v, KvCache state,
            Form form, boolean training) {
        Checks.qkv(q, k, v, true);
        AttentionOutput<KvCache> r = SoftmaxForms.causal(q, k, v, state, scale);
        try {
            Checks.finiteOutput("SOFTMAX causal attention", r.output(), q, k, v);
        } catch (IllegalArgumentException e) {
            r.state().close();
            throw e;
        }
        return r;
    }

    /** Bidirectional attention for inference. */
    public NDArray bidirectional(NDArray q, NDArray k, NDArray v, NDArray keyMask) {
        return bidirectional(null, q, k, v, keyMask, false);
    }

    /** Causal attention for inference, continuing {@code cache} (or null). */
    public AttentionOutput<KvCache> causal(NDArray q, NDArray k, NDArray v, KvCache cache) {
        return causal(null, q, k, v, cache, Form.QUADRATIC, false);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        Checks.require(inputs.size() == 3 || (!causal && inputs.size() == 4), "attention inputs",
                causal ? "(q, k, v)" : "(q, k, v) or (q, k, v, keyMask)", inputs.size() + " arrays");
        if (!causal) {
            return new NDList(bidirectional(ps, inputs.get(0), inputs.get(1), inputs.get(2),
                    inputs.size() == 4 ? inputs.get(3) : null, training));
        }
        AttentionOutput<KvCache> r = causal(ps, inputs.get(0), inputs.get(1), inputs.get(2), null, Form.QUADRATIC,
                training);
        r.state().close();
        return new NDList(r.output());
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape q = inputShapes[0];
        Shape v = inputShapes[2];
        return new Shape[] {new Shape(q.get(0), q.get(1), q.get(2), v.get(3))};
    }

    @Override
    public void loadParameters(NDManager manager, DataInputStream is) throws IOException, MalformedModelException {
        super.loadParameters(manager, is);
        BlockVersions.afterLoad(this);
    }

    @Override
    public void loadMetadata(byte loadVersion, DataInputStream is) throws IOException, MalformedModelException {
        BlockVersions.require("SoftmaxAttention", VERSION, loadVersion);
        readInputShapes(is); // what AbstractBaseBlock.saveMetadata wrote after the version
    }

    @Override
    public String toString() {
        return "SoftmaxAttention(scale=" + (scale == null ? "1/sqrt(D)" : scale) + (causal ? ", causal" : "") + ")";
    }

    /** Builder. */
    public static final class Builder {
        private Double scale;
        private boolean causal;

        private Builder() {}

        /**
         * Logit scale (default 1/√D).
         *
         * @param scale the scale, finite and positive
         * @return this builder
         */
        public Builder optScale(double scale) {
            this.scale = scale;
            return this;
        }

        /**
         * Whether the block's forward is causal (default false).
         *
         * @param causal whether the forward is causal
         * @return this builder
         */
        public Builder optCausal(boolean causal) {
            this.causal = causal;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @return the block
         */
        public SoftmaxAttention build() {
            if (scale != null) {
                Checks.require(Double.isFinite(scale) && scale > 0, "softmax scale", "a finite positive number", scale);
            }
            LeapEngine.ensureInitialized();
            return new SoftmaxAttention(this);
        }
    }
}
