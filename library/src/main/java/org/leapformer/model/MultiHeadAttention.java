package org.leapformer.model;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.IOException;
import org.leapformer.nn.AttentionCore;
import org.leapformer.nn.AttentionKind;
import org.leapformer.nn.BlockVersions;
import org.leapformer.nn.LinearAttention;
import org.leapformer.ops.AttentionOutput;
import org.leapformer.ops.AttentionState;
import org.leapformer.ops.Checks;
import org.leapformer.ops.Form;
import org.leapformer.ops.KvCache;
import org.leapformer.ops.LinearState;

/**
 * Multi-head attention whose mechanism comes from a {@link ModelConfig}: LeaP, cosFormer,
 * ReLU-linear or softmax. It projects, splits heads and calls an {@link AttentionCore}; the
 * attention mathematics lives only there.
 *
 * <pre>
 *   q, k, v = x Wq, x Wk, x Wv        (B, N, H·D) → (B, H, N, D)
 *   o       = core(q, k, v)           (B, H, N, D)
 *   out     = merge(o) Wo             (B, N, Dm)
 * </pre>
 *
 * Causal use continues an {@link AttentionState} (a {@code LinearState} or a {@code KvCache}) in
 * any {@link Form}: CHUNKED for training, RECURRENT for decoding, QUADRATIC as the reference.
 */
public final class MultiHeadAttention extends AbstractBlock {

    private static final byte VERSION = 1;

    private final ModelConfig config;
    private final boolean causal;
    private final Linear query;
    private final Linear key;
    private final Linear value;
    private final Linear out;
    private final AttentionCore<AttentionState> core;

    /**
     * @param config widths and attention kind
     * @param causal whether the block's forward is causal (decoder) or bidirectional (encoder)
     */
    @SuppressWarnings("unchecked")
    public MultiHeadAttention(ModelConfig config, boolean causal) {
        super(VERSION);
        this.config = config;
        this.causal = causal;
        int inner = config.innerDim();
        query = addChildBlock("query", Linear.builder().setUnits(inner).build());
        key = addChildBlock("key", Linear.builder().setUnits(inner).build());
        value = addChildBlock("value", Linear.builder().setUnits(inner).build());
        out = addChildBlock("out", Linear.builder().setUnits(config.dModel()).build());
        core = (AttentionCore<AttentionState>) addChildBlock("core", config.newAttentionCore(causal));
    }

    /** The projections q, k, v and out, in that order (for the JVM decoder). */
    Linear[] projections() {
        return new Linear[] {query, key, value, out};
    }

    /** The attention mechanism (for inspection: proportions, kind). */
    public AttentionCore<?> core() {
        return core;
    }

    public AttentionKind kind() {
        return core.kind();
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape x = new Shape(1, config.dModel());
        query.initialize(manager, dataType, x);
        key.initialize(manager, dataType, x);
        value.initialize(manager, dataType, x);
        out.initialize(manager, dataType, new Shape(1, config.innerDim()));
        Shape h = new Shape(1, config.heads(), 1, config.headDim());
        core.initialize(manager, dataType, h, h, h);
    }

    /**
     * Every token attends to every real token.
     *
     * @param x (B, N, Dm)
     * @param keyMask (B, N), non-zero for real tokens, or null
     * @return (B, N, Dm)
     */
    public NDArray bidirectional(ParameterStore ps, NDArray x, NDArray keyMask, boolean training) {
        return bidirectional(ps, x, keyMask, training, null);
    }

    /** {@link #bidirectional(ParameterStore, NDArray, NDArray, boolean)}, showing q, k, v and the core's output to a probe. */
    public NDArray bidirectional(ParameterStore ps, NDArray x, NDArray keyMask, boolean training, Probe probe) {
        checkInput(x);
        try (NDArray q = heads(ps, query, x, training); NDArray k = heads(ps, key, x, training);
                NDArray v = heads(ps, value, x, training);
                NDArray o = core.bidirectional(ps, q, k, v, keyMask, training)) {
            if (probe != null) {
                probe.attention(0, q, k, v, o);
            }
            return merge(ps, o, training);
        }
    }

    /** Sees q, k, v (B, H, N, D) and the core's output (B, H, N, Dv); the arrays are borrowed. */
    @FunctionalInterface
    public interface Probe {
        void attention(long offset, NDArray q, NDArray k, NDArray v, NDArray output);
    }

    /**
     * Causal attention continuing {@code state}.
     *
     * @param x (B, N, Dm), the tokens after those in {@code state}
     * @param state from {@link #newState} or a previous call (not closed here)
     * @return the output (B, N, Dm) and the state after the last token
     */
    public AttentionOutput<AttentionState> causal(ParameterStore ps, NDArray x, AttentionState state, Form form,
            boolean training) {
        return causal(ps, x, state, form, training, null);
    }

    /** {@link #causal(ParameterStore, NDArray, AttentionState, Form, boolean)}, showing q, k, v and the core's output to a probe. */
    public AttentionOutput<AttentionState> causal(ParameterStore ps, NDArray x, AttentionState state, Form form,
            boolean training, Probe probe) {
        checkInput(x);
        checkState(state);
        try (NDArray q = heads(ps, query, x, training); NDArray k = heads(ps, key, x, training);
                NDArray v = heads(ps, value, x, training)) {
            AttentionOutput<AttentionState> r = core.causal(ps, q, k, v, state, form, training);
            try (NDArray o = r.output()) {
                if (probe != null) {
                    probe.attention(state == null ? 0 : state.length(), q, k, v, o);
                }
                return new AttentionOutput<>(merge(ps, o, training), r.state());
            }
        }
    }

    /**
     * An empty causal state that hangs from {@code manager} (use a long-lived manager when
     * decoding: the states that follow hang from it too).
     */
    public AttentionState newState(NDManager manager, long batch, DataType dataType) {
        long h = config.heads();
        long d = config.headDim();
        if ((Object) core instanceof LinearAttention la) {
            return la.newState(manager, batch, h, d, dataType);
        }
        NDArray keys = manager.zeros(new Shape(batch, h, 0, d), dataType);
        NDArray values = manager.zeros(new Shape(batch, h, 0, d), dataType);
        return KvCache.of(manager, keys, values);
    }

    private void checkInput(NDArray x) {
        Checks.rank("attention input", x, 3, "(B, N, Dm)");
        Checks.require(x.getShape().get(2) == config.dModel(), "attention input width", "Dm=" + config.dModel(),
                "shape " + x.getShape());
    }

    private void checkState(AttentionState state) {
        if (state == null) {
            return;
        }
        boolean fits = core.kind().isLinear() ? state instanceof LinearState : state instanceof KvCache;
        Checks.require(fits, "attention state", core.kind().isLinear() ? "a LinearState" : "a KvCache",
                state.getClass().getSimpleName());
    }

    /** (B, N, Dm) → (B, H, N, D). */
    private NDArray heads(ParameterStore ps, Linear proj, NDArray x, boolean training) {
        return heads(ps, proj, x, config, training);
    }

    /** (B, H, N, D) → (B, N, Dm). */
    private NDArray merge(ParameterStore ps, NDArray o, boolean training) {
        return merge(ps, out, o, training);
    }

    /** proj(x) split into heads: (B, N, Dm) → (B, H, N, D); shared with {@link CrossAttention}. */
    static NDArray heads(ParameterStore ps, Linear proj, NDArray x, ModelConfig config, boolean training) {
        Shape s = x.getShape();
        try (NDArray p = proj.forward(ps, new NDList(x), training).singletonOrThrow();
                NDArray r = p.reshape(s.get(0), s.get(1), config.heads(), config.headDim())) {
            return r.transpose(0, 2, 1, 3);
        }
    }

    /** Heads merged and projected: (B, H, N, D) → out((B, N, H·D)); shared with {@link CrossAttention}. */
    static NDArray merge(ParameterStore ps, Linear out, NDArray o, boolean training) {
        Shape s = o.getShape();
        try (NDArray t = o.transpose(0, 2, 1, 3); NDArray m = t.reshape(s.get(0), s.get(2), s.get(1) * s.get(3))) {
            return out.forward(ps, new NDList(m), training).singletonOrThrow();
        }
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        if (!causal) {
            return new NDList(bidirectional(ps, x, inputs.size() > 1 ? inputs.get(1) : null, training));
        }
        AttentionOutput<AttentionState> r = causal(ps, x, null, config.trainingForm(), training);
        r.state().close();
        return new NDList(r.output());
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    public void loadParameters(NDManager manager, DataInputStream is) throws IOException, MalformedModelException {
        super.loadParameters(manager, is);
        BlockVersions.afterLoad(this);
    }

    @Override
    public void loadMetadata(byte loadVersion, DataInputStream is) throws IOException, MalformedModelException {
        BlockVersions.require("MultiHeadAttention", VERSION, loadVersion);
        readInputShapes(is); // what AbstractBaseBlock.saveMetadata wrote after the version
    }

    @Override
    public String toString() {
        return "MultiHeadAttention(H=" + config.heads() + ", D=" + config.headDim() + ", " + core + ")";
    }
}
