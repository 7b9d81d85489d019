package org.leapformer.model;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.IOException;
import org.leapformer.nn.BlockVersions;
import org.leapformer.ops.AttentionOutput;
import org.leapformer.ops.AttentionState;
import org.leapformer.ops.Form;

/**
 * A pre-norm transformer layer.
 *
 * <pre>
 *   x = x + dropout(attention(LN1(x)))                  (B, N, Dm)
 *   x = x + dropout(W2 · gelu(W1 · LN2(x) + b1) + b2)   (B, N, Dm)
 * </pre>
 *
 * DJL's LayerNorm, Linear and Dropout are used as they are: their forward passes are single
 * native calls (checked with javap), so no Java-buffered scalar enters the autograd graph.
 */
public final class TransformerLayer extends AbstractBlock {

    private static final byte VERSION = 1;

    private final ModelConfig config;
    private final boolean causal;
    private final LayerNorm norm1;
    private final MultiHeadAttention attention;
    private final Dropout drop1;
    private final LayerNorm norm2;
    private final Linear ff1;
    private final Linear ff2;
    private final Dropout drop2;

    public TransformerLayer(ModelConfig config, boolean causal) {
        super(VERSION);
        this.config = config;
        this.causal = causal;
        norm1 = addChildBlock("norm1", LayerNorm.builder().axis(2).build());
        attention = addChildBlock("attention", new MultiHeadAttention(config, causal));
        drop1 = addChildBlock("drop1", Dropout.builder().optRate((float) config.dropout()).build());
        norm2 = addChildBlock("norm2", LayerNorm.builder().axis(2).build());
        ff1 = addChildBlock("ff1", Linear.builder().setUnits(config.ffnDim()).build());
        ff2 = addChildBlock("ff2", Linear.builder().setUnits(config.dModel()).build());
        drop2 = addChildBlock("drop2", Dropout.builder().optRate((float) config.dropout()).build());
    }

    public MultiHeadAttention attention() {
        return attention;
    }

    LayerNorm norm1() {
        return norm1;
    }

    LayerNorm norm2() {
        return norm2;
    }

    Linear ff1() {
        return ff1;
    }

    Linear ff2() {
        return ff2;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape x = new Shape(1, 1, config.dModel());
        norm1.initialize(manager, dataType, x);
        attention.initialize(manager, dataType, x);
        drop1.initialize(manager, dataType, x);
        norm2.initialize(manager, dataType, x);
        ff1.initialize(manager, dataType, x);
        ff2.initialize(manager, dataType, new Shape(1, 1, config.ffnDim()));
        drop2.initialize(manager, dataType, x);
    }

    /**
     * @param x (B, N, Dm)
     * @param keyMask (B, N), non-zero for real tokens, or null
     * @return (B, N, Dm)
     */
    public NDArray bidirectional(ParameterStore ps, NDArray x, NDArray keyMask, boolean training) {
        return bidirectional(ps, x, keyMask, training, null);
    }

    /** As {@link #bidirectional(ParameterStore, NDArray, NDArray, boolean)}, with an attention probe (or null). */
    public NDArray bidirectional(ParameterStore ps, NDArray x, NDArray keyMask, boolean training,
            MultiHeadAttention.Probe probe) {
        NDArray h;
        try (NDArray n = one(norm1, ps, x, training);
                NDArray a = attention.bidirectional(ps, n, keyMask, training, probe);
                NDArray d = one(drop1, ps, a, training)) {
            h = x.add(d);
        }
        return feedForward(ps, h, training);
    }

    /**
     * @param x (B, N, Dm), the tokens after those in {@code state}
     * @return the output (B, N, Dm) and the attention state after the last token
     */
    public AttentionOutput<AttentionState> causal(ParameterStore ps, NDArray x, AttentionState state, Form form,
            boolean training) {
        return causal(ps, x, state, form, training, null);
    }

    /** As {@link #causal(ParameterStore, NDArray, AttentionState, Form, boolean)}, with an attention probe (or null). */
    public AttentionOutput<AttentionState> causal(ParameterStore ps, NDArray x, AttentionState state, Form form,
            boolean training, MultiHeadAttention.Probe probe) {
        NDArray h;
        AttentionState next;
        try (NDArray n = one(norm1, ps, x, training)) {
            AttentionOutput<AttentionState> a = attention.causal(ps, n, state, form, training, probe);
            next = a.state();
            try (NDArray ao = a.output(); NDArray d = one(drop1, ps, ao, training)) {
                h = x.add(d);
            }
        }
        return new AttentionOutput<>(feedForward(ps, h, training), next);
    }

    /** h + dropout(FFN(LN2(h))); closes h. */
    private NDArray feedForward(ParameterStore ps, NDArray h, boolean training) {
        try (h; NDArray n = one(norm2, ps, h, training); NDArray u = one(ff1, ps, n, training);
                NDArray g = Activation.gelu(u); NDArray w = one(ff2, ps, g, training);
                NDArray d = one(drop2, ps, w, training)) {
            return h.add(d);
        }
    }

    private static NDArray one(AbstractBlock b, ParameterStore ps, NDArray x, boolean training) {
        return b.forward(ps, new NDList(x), training).singletonOrThrow();
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
        BlockVersions.require("TransformerLayer", VERSION, loadVersion);
        readInputShapes(is); // what AbstractBaseBlock.saveMetadata wrote after the version
    }
}
