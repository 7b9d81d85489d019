package org.leapformer.nn;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.IOException;
import org.leapformer.LeapEngine;
import org.leapformer.ops.AttentionOutput;
import org.leapformer.ops.Checks;
import org.leapformer.ops.FeatureMap;
import org.leapformer.ops.FeatureMaps;
import org.leapformer.ops.Form;
import org.leapformer.ops.LinearForms;
import org.leapformer.ops.LinearSpec;
import org.leapformer.ops.LinearState;

/**
 * Linear attention over projected heads — LeaP, cosFormer or ReLU-linear — in every form:
 * bidirectional (with a key padding mask), causal (quadratic, chunked, recurrent; continued from
 * a {@link LinearState}), and cross-attention over a source that grows between calls.
 *
 * <pre>
 *   q' = relu(q), k' = relu(k)                              (B, H, N, D)
 *   LeaP:      p_q = P_Q(q'), p_k = P_K(k')  (two {@link LeapModule}s shared by all heads)
 *   cosFormer: p_i = i / N
 *   s_ij = q'_i·k'_j · cos(π/2·(p_i − p_j))   (ReLU-linear: s_ij = q'_i·k'_j)
 *   out_i = Σ_j s_ij v_j / max(Σ_j s_ij, clamp)
 * </pre>
 *
 * Build with {@link #builder()}, then {@link #initialize(NDManager, DataType)}. As a DJL block its
 * forward takes (q, k, v) or (q, k, v, keyMask) and returns the output; the methods below give
 * the forms and the state directly. Paper: Agostinelli, Hong, Chen, "LeaPformer: Enabling Linear
 * Transformers for Autoregressive and Simultaneous Tasks via Learned Proportions", ICML 2024,
 * <a href="https://arxiv.org/abs/2405.13046">arXiv:2405.13046</a>.
 */
public final class LinearAttention extends AbstractBlock implements AttentionCore<LinearState> {

    private static final byte VERSION = 1;

    private final AttentionKind kind;
    private final int headDim;
    private final int hidden;
    private final LinearSpec spec;
    private final boolean causal;
    private final Form form;
    private final Long sequenceLength;
    private final CosformerLength lengthPolicy;
    private final LeapModule leapQ;
    private final LeapModule leapK;

    private LinearAttention(Builder b) {
        super(VERSION);
        this.kind = b.kind;
        this.headDim = b.headDim;
        this.hidden = b.hidden != null ? b.hidden : defaultHidden(b.headDim);
        this.spec = new LinearSpec(b.kind == AttentionKind.RELU_LINEAR ? 1 : 2, b.clamp, b.chunkSize);
        this.causal = b.causal;
        this.form = b.form;
        this.sequenceLength = b.sequenceLength;
        this.lengthPolicy = b.lengthPolicy;
        if (kind == AttentionKind.LEAP) {
            leapQ = addChildBlock("leap_q", new LeapModule(headDim, hidden));
            leapK = addChildBlock("leap_k", new LeapModule(headDim, hidden));
        } else {
            leapQ = null;
            leapK = null;
        }
    }

    /**
     * fairseq-leapformer's choice: head_dim / 4, at least 1.
     *
     * @param headDim the per-head dimension D
     * @return max(1, headDim / 4)
     */
    public static int defaultHidden(int headDim) {
        return Math.max(1, headDim / 4);
    }

    /**
     * A builder for a linear attention block.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Initialises parameters (LeaP modules) with the given data type on the manager's device.
     *
     * @param manager the manager whose device the parameters go on
     * @param dataType the parameters' data type
     */
    public void initialize(NDManager manager, DataType dataType) {
        Shape x = new Shape(1, 1, 1, headDim);
        initialize(manager, dataType, x, x, x);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        if (leapQ != null) {
            Shape x = new Shape(1, 1, 1, headDim);
            leapQ.initialize(manager, dataType, x);
            leapK.initialize(manager, dataType, x);
        }
    }

    @Override
    public AttentionKind kind() {
        return kind;
    }

    /**
     * D.
     *
     * @return the per-head dimension D
     */
    public int headDim() {
        return headDim;
    }

    /**
     * LeaP hidden size h (meaningful for {@link AttentionKind#LEAP}).
     *
     * @return h
     */
    public int hidden() {
        return hidden;
    }

    /**
     * What a causal cosFormer takes for N (meaningful for {@link AttentionKind#COSFORMER}).
     *
     * @return the policy
     */
    public CosformerLength lengthPolicy() {
        return lengthPolicy;
    }

    /**
     * cosFormer's declared N, or null.
     *
     * @return N, or null when none was declared
     */
    public Long sequenceLength() {
        return sequenceLength;
    }

    /**
     * Feature blocks, clamp and chunk size.
     *
     * @return the spec
     */
    public LinearSpec spec() {
        return spec;
    }

    /**
     * The LeaP module for queries; throws for other kinds.
     *
     * @return the query module
     * @throws IllegalStateException when the kind is not LEAP
     */
    public LeapModule queryModule() {
        requireLeap("a query LeaP module");
        return leapQ;
    }

    /**
     * The LeaP module for keys; throws for other kinds.
     *
     * @return the key module
     * @throws IllegalStateException when the kind is not LEAP
     */
    public LeapModule keyModule() {
        requireLeap("a key LeaP module");
        return leapK;
    }

    /**
     * An empty causal or source state for this attention, owned by a sub-manager of
     * {@code manager} (use a long-lived manager when decoding step by step).
     *
     * @param manager the state's arrays hang from a sub-manager of it
     * @param batch the batch size
     * @param heads the number of heads
     * @param valueSize the size of each value vector
     * @param dataType the input data type (the state uses its accumulation type)
     * @return the zero state
     */
    public LinearState newState(NDManager manager, long batch, long heads, long valueSize, DataType dataType) {
        return LinearState.zeros(manager, batch, heads, (long) spec.blocks() * headDim, valueSize, spec.blocks(),
                Checks.accumulationType(dataType));
    }

    /**
     * The feature map φ of this attention: for LeaP it evaluates the LeaP modules through
     * {@code ps}.
     *
     * @param causalUse whether positions must come from the declared sequence length (cosFormer)
     */
    public FeatureMap featureMap(ParameterStore ps, boolean training, boolean causalUse) {
        return switch (kind) {
            case LEAP -> FeatureMaps.leap(x -> leapQ.proportions(ps, x, training),
                    x -> leapK.proportions(ps, x, training));
            case COSFORMER -> {
                if (causalUse && lengthPolicy == CosformerLength.KNOWN) {
                    yield FeatureMaps.cosformer(null); // N = each call's own length, from position 0
                }
                if (causalUse && sequenceLength == null) {
                    throw new IllegalStateException("cosFormer causal attention needs the sequence length N "
                            + "(its proportions are i/N): expected optSequenceLength(N) on the builder, found none");
                }
                yield FeatureMaps.cosformer(sequenceLength, lengthPolicy == CosformerLength.TRAINING);
            }
            case RELU_LINEAR -> FeatureMaps.relu();
            case SOFTMAX -> throw new IllegalStateException("unreachable: softmax is not a linear attention");
        };
    }

    /**
     * Query proportions p = P_Q(relu(q)) (LeaP) or i/N (cosFormer).
     *
     * @param q (B, H, N, D)
     * @param offset absolute position of q's first token (cosFormer only)
     * @return (B, H, N, 1) for LeaP, (N, 1) for cosFormer
     */
    public NDArray queryProportions(ParameterStore ps, NDArray q, long offset, boolean training) {
        return proportions(ps, q, offset, training, true);
    }

    /** Key proportions, as {@link #queryProportions}. */
    public NDArray keyProportions(ParameterStore ps, NDArray k, long offset, boolean training) {
        return proportions(ps, k, offset, training, false);
    }

    private NDArray proportions(ParameterStore ps, NDArray x, long offset, boolean training, boolean query) {
        requireInitialized();
        Checks.rank(query ? "q" : "k", x, 4, "(B, H, N, D)");
        checkHeadDim(query ? "q" : "k", x);
        checkParameterType(query ? "q" : "k", x);
        return switch (kind) {
            case LEAP -> {
                try (NDArray xr = Activation.relu(x)) {
                    yield (query ? leapQ : leapK).proportions(ps, xr, training);
                }
            }
            case COSFORMER -> FeatureMaps.positions(x, offset, lengthPolicy == CosformerLength.KNOWN ? null
                    : sequenceLength, lengthPolicy == CosformerLength.TRAINING);
            default -> throw new IllegalStateException(
                    "proportions: expected a LEAP or COSFORMER attention, found " + kind);
        };
    }

    @Override
    public NDArray bidirectional(ParameterStore ps, NDArray q, NDArray k, NDArray v, NDArray keyMask,
            boolean training) {
        AttentionOutput<LinearState> r = bidirectionalWithState(ps, q, k, v, keyMask, training);
        r.state().close();
        return r.output();
    }

    /**
     * Bidirectional attention that also returns the state over all keys (the cross-attention
     * source state of this sequence).
     */
    public AttentionOutput<LinearState> bidirectionalWithState(ParameterStore ps, NDArray q, NDArray k, NDArray v,
            NDArray keyMask, boolean training) {
        requireInitialized();
        Checks.qkv(q, k, v, false);
        checkHeadDim("q", q);
        checkParameterType("q", q);
        Checks.keyMask(keyMask, k);
        FeatureMap fm = featureMap(ps, training, false);
        try (NDArray fq = fm.queries(q, 0); NDArray fk = fm.keys(k, 0)) {
            return checkedOutput(kind + " bidirectional attention", LinearForms.bidirectional(fq, fk, v, keyMask, spec),
                    q, k, v);
        }
    }

    @Override
    public AttentionOutput<LinearState> causal(ParameterStore ps, NDArray q, NDArray k, NDArray v, LinearState state,
            Form form, boolean training) {
        requireInitialized();
        Checks.qkv(q, k, v, true);
        checkHeadDim("q", q);
        checkParameterType("q", q);
        Checks.require(form != null, "form", "QUADRATIC, CHUNKED or RECURRENT", "null");
        long offset = state == null ? 0 : state.length();
        if (kind == AttentionKind.COSFORMER && lengthPolicy == CosformerLength.KNOWN && offset != 0) {
            throw new IllegalStateException("cosFormer with the length known (CosformerLength.KNOWN) takes N from a "
                    + "whole sequence given in one call from position 0: expected position 0, found a continuation "
                    + "at position " + offset + " (to step a sequence of known length L, use N = L with CAPPED)");
        }
        FeatureMap fm = featureMap(ps, training, true);
        try (NDArray fq = fm.queries(q, offset); NDArray fk = fm.keys(k, offset)) {
            return checkedOutput(kind + " causal attention (" + form + ")",
                    LinearForms.causal(form, fq, fk, v, state, spec), q, k, v);
        }
    }

    /** Causal attention in the builder's form (chunked unless chosen otherwise). */
    public AttentionOutput<LinearState> causal(ParameterStore ps, NDArray q, NDArray k, NDArray v, LinearState state,
            boolean training) {
        return causal(ps, q, k, v, state, form, training);
    }

    /**
     * Streaming cross-attention: adds newly arrived source tokens to the source state.
     *
     * @param state the source so far, or null
     * @param k keys of the new source tokens (B, H, N, D)
     * @param v their values (B, H, N, Dv)
     * @param keyMask (B, N) for padded source tokens, or null
     * @return the extended state (the old one stays valid; the caller closes both)
     */
    public LinearState extendSource(ParameterStore ps, LinearState state, NDArray k, NDArray v, NDArray keyMask,
            boolean training) {
        requireInitialized();
        Checks.kv(k, v);
        checkHeadDim("k", k);
        checkParameterType("k", k);
        Checks.keyMask(keyMask, k);
        requireCrossCapable();
        FeatureMap fm = featureMap(ps, training, false);
        try (NDArray fk = fm.keys(k, 0)) {
            return LinearForms.extend(state, fk, v, keyMask, spec);
        }
    }

    /**
     * Streaming cross-attention: target queries read every source token in the state so far.
     *
     * @param q target queries (B, H, N, D)
     * @return (B, H, N, Dv)
     */
    public NDArray readSource(ParameterStore ps, LinearState source, NDArray q, boolean training) {
        requireInitialized();
        Checks.rank("q", q, 4, "(B, H, N, D)");
        checkHeadDim("q", q);
        Checks.require(source != null, "source state", "a state from extendSource", "null");
        Checks.require(source.batchSize() == q.getShape().get(0) && source.heads() == q.getShape().get(1),
                "q shape", "(B=" + source.batchSize() + ", H=" + source.heads() + ", N, D) as the source state",
                q.getShape());
        checkParameterType("q", q); // NaN or Inf in q is named through the output
        requireCrossCapable();
        FeatureMap fm = featureMap(ps, training, false);
        try (NDArray fq = fm.queries(q, 0)) {
            return Checks.finiteOutput(kind + " cross-attention", LinearForms.read(source, fq, spec), q);
        }
    }

    private void requireCrossCapable() {
        if (kind == AttentionKind.COSFORMER) {
            throw new IllegalStateException("streaming cross-attention: expected LEAP or RELU_LINEAR, found COSFORMER "
                    + "(its proportions i/N need the final lengths of source and target)");
        }
    }

    /** A LEAP attention has parameters (its two LeaP modules): they need values before any forward. */
    private void requireInitialized() {
        if (leapQ != null) {
            Checks.initialized(this, toString(), "initialize(manager, dataType)");
        }
    }

    private void requireLeap(String what) {
        if (kind != AttentionKind.LEAP) {
            throw new IllegalStateException(what + ": expected a LEAP attention, found " + kind);
        }
    }

    /** A LeaP layer's inputs meet its modules' parameters: they must share a data type. */
    private void checkParameterType(String name, NDArray x) {
        if (leapQ != null && leapQ.isInitialized()) {
            Checks.parameterType(name, x, leapQ.dataType(), "this LEAP attention");
        }
    }

    private static AttentionOutput<LinearState> checkedOutput(String what, AttentionOutput<LinearState> r, NDArray q,
            NDArray k, NDArray v) {
        try {
            Checks.finiteOutput(what, r.output(), q, k, v);
        } catch (IllegalArgumentException e) {
            r.state().close();
            throw e;
        }
        return r;
    }

    private void checkHeadDim(String name, NDArray x) {
        Checks.require(x.getShape().get(3) == headDim, name + " head dimension", "D=" + headDim + " (builder)",
                "D=" + x.getShape().get(3));
    }

    // ---- parameter-store-free conveniences (inference) ----

    /** {@link #bidirectional(ParameterStore, NDArray, NDArray, NDArray, NDArray, boolean)} for inference. */
    public NDArray bidirectional(NDArray q, NDArray k, NDArray v, NDArray keyMask) {
        return bidirectional(new ParameterStore(q.getManager(), false), q, k, v, keyMask, false);
    }

    /** Causal attention in {@code form} for inference. */
    public AttentionOutput<LinearState> causal(NDArray q, NDArray k, NDArray v, LinearState state, Form form) {
        return causal(new ParameterStore(q.getManager(), false), q, k, v, state, form, false);
    }

    /** Query proportions for inference. */
    public NDArray queryProportions(NDArray q) {
        return queryProportions(new ParameterStore(q.getManager(), false), q, 0, false);
    }

    /** Key proportions for inference. */
    public NDArray keyProportions(NDArray k) {
        return keyProportions(new ParameterStore(k.getManager(), false), k, 0, false);
    }

    // ---- Block ----

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        Checks.require(inputs.size() == 3 || (!causal && inputs.size() == 4), "attention inputs",
                causal ? "(q, k, v)" : "(q, k, v) or (q, k, v, keyMask)", inputs.size() + " arrays");
        NDArray q = inputs.get(0);
        NDArray k = inputs.get(1);
        NDArray v = inputs.get(2);
        if (!causal) {
            return new NDList(bidirectional(ps, q, k, v, inputs.size() == 4 ? inputs.get(3) : null, training));
        }
        AttentionOutput<LinearState> r = causal(ps, q, k, v, null, form, training);
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
        BlockVersions.require("LinearAttention", VERSION, loadVersion);
        readInputShapes(is); // what AbstractBaseBlock.saveMetadata wrote after the version
    }

    @Override
    public String toString() {
        return "LinearAttention(" + kind + ", D=" + headDim + (kind == AttentionKind.LEAP ? ", hidden=" + hidden : "")
                + ", clamp=" + spec.clamp() + ", chunk=" + spec.chunkSize() + (causal ? ", causal " + form : "") + ")";
    }

    /** Builder: {@code setX} for required values, {@code optX} for optional ones. */
    public static final class Builder {
        private AttentionKind kind = AttentionKind.LEAP;
        private int headDim = -1;
        private Integer hidden;
        private Double clamp = LinearSpec.DEFAULT_CLAMP;
        private int chunkSize = LinearSpec.DEFAULT_CHUNK;
        private boolean causal;
        private Form form = Form.CHUNKED;
        private Long sequenceLength;
        private CosformerLength lengthPolicy = CosformerLength.CAPPED;

        private Builder() {}

        /**
         * LEAP (default), COSFORMER or RELU_LINEAR.
         *
         * @param kind the linear attention kind
         * @return this builder
         */
        public Builder setKind(AttentionKind kind) {
            this.kind = kind;
            return this;
        }

        /**
         * D, the per-head dimension of q and k (required).
         *
         * @param headDim D
         * @return this builder
         */
        public Builder setHeadDim(int headDim) {
            this.headDim = headDim;
            return this;
        }

        /**
         * LeaP hidden size h ≥ 1, or null for the default head_dim/4 as in fairseq (1 =
         * sigmoid(W x + b)); the same knob as {@link org.leapformer.model.ModelConfig.Builder#optLeapHidden}.
         *
         * @param hidden h, or null for the default
         * @return this builder
         */
        public Builder optLeapHidden(Integer hidden) {
            this.hidden = hidden;
            return this;
        }

        /**
         * LeaP hidden size h.
         *
         * @deprecated use {@link #optLeapHidden(Integer)}, the name {@code ModelConfig.Builder} gives the same knob
         * @param hidden h
         * @return this builder
         */
        @Deprecated
        public Builder optHidden(int hidden) {
            return optLeapHidden(hidden);
        }

        /**
         * Denominator clamp (default 0.1 as fairseq); null for none (as the LRA code).
         *
         * @param clamp the clamp, or null for none
         * @return this builder
         */
        public Builder optClamp(Double clamp) {
            this.clamp = clamp;
            return this;
        }

        /**
         * Chunk length of the chunked form (default 64; inputs of at most two chunks take the quadratic form).
         *
         * @param chunkSize the chunk length
         * @return this builder
         */
        public Builder optChunkSize(int chunkSize) {
            this.chunkSize = chunkSize;
            return this;
        }

        /**
         * Whether the block's forward is causal (default false: bidirectional).
         *
         * @param causal whether the forward is causal
         * @return this builder
         */
        public Builder optCausal(boolean causal) {
            this.causal = causal;
            return this;
        }

        /**
         * The causal form of the block's forward and of {@code causal(...)} without a form (default CHUNKED).
         *
         * @param form the causal form
         * @return this builder
         */
        public Builder optForm(Form form) {
            this.form = form;
            return this;
        }

        /**
         * cosFormer's N in p_i = i/N; required for causal cosFormer.
         *
         * @param length N
         * @return this builder
         */
        public Builder optSequenceLength(long length) {
            this.sequenceLength = length;
            return this;
        }

        /**
         * What a causal cosFormer takes for N past or instead of {@link #optSequenceLength} (default
         * CAPPED: the declared N, positions past it refused; TRAINING: the declared N, positions past
         * it go on with p above 1; KNOWN: each call's own length).
         *
         * @param policy the policy
         * @return this builder
         */
        public Builder optCosformerLength(CosformerLength policy) {
            this.lengthPolicy = policy;
            return this;
        }

        /**
         * Validates and builds; starts the engine (logged once).
         *
         * @return the block
         */
        public LinearAttention build() {
            Checks.require(kind != null && kind.isLinear(), "attention kind", "LEAP, COSFORMER or RELU_LINEAR "
                    + "(SOFTMAX is SoftmaxAttention)", kind);
            Checks.require(headDim > 0, "head dimension", "a positive D set with setHeadDim", headDim);
            if (hidden != null) {
                Checks.require(hidden >= 1, "LeaP hidden size", "h >= 1", hidden);
            }
            Checks.clamp(clamp);
            Checks.chunkSize(chunkSize);
            Checks.require(form != null, "form", "QUADRATIC, CHUNKED or RECURRENT", "null");
            if (sequenceLength != null) {
                Checks.require(sequenceLength > 0, "sequence length", "a positive N", sequenceLength);
            }
            Checks.require(lengthPolicy != null, "cosFormer length policy", "one of CAPPED, TRAINING, KNOWN", "null");
            LeapEngine.ensureInitialized();
            return new LinearAttention(this);
        }
    }
}
