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
 * A pre-norm decoder layer of a {@link SimulTranslator}: causal self-attention, cross-attention
 * over the source read so far, feed-forward.
 *
 * <pre>
 *   x = x + dropout(selfAttention(LN1(x)))          causal over the target
 *   x = x + dropout(crossAttention(LNc(x), source))  wait-k: position t reads min(t + k, S) source tokens
 *   x = x + dropout(W2 · gelu(W1 · LN2(x)))
 * </pre>
 */
public final class SimulDecoderLayer extends AbstractBlock {

    private static final byte VERSION = 1;

    private final ModelConfig config;
    private final LayerNorm norm1;
    private final MultiHeadAttention self;
    private final Dropout drop1;
    private final LayerNorm normCross;
    private final CrossAttention cross;
    private final Dropout dropCross;
    private final LayerNorm norm2;
    private final Linear ff1;
    private final Linear ff2;
    private final Dropout drop2;

    public SimulDecoderLayer(ModelConfig config) {
        super(VERSION);
        this.config = config;
        float p = (float) config.dropout();
        norm1 = addChildBlock("norm1", LayerNorm.builder().axis(2).build());
        self = addChildBlock("self", new MultiHeadAttention(config, true));
        drop1 = addChildBlock("drop1", Dropout.builder().optRate(p).build());
        normCross = addChildBlock("normCross", LayerNorm.builder().axis(2).build());
        cross = addChildBlock("cross", new CrossAttention(config));
        dropCross = addChildBlock("dropCross", Dropout.builder().optRate(p).build());
        norm2 = addChildBlock("norm2", LayerNorm.builder().axis(2).build());
        ff1 = addChildBlock("ff1", Linear.builder().setUnits(config.ffnDim()).build());
        ff2 = addChildBlock("ff2", Linear.builder().setUnits(config.dModel()).build());
        drop2 = addChildBlock("drop2", Dropout.builder().optRate(p).build());
    }

    public MultiHeadAttention selfAttention() {
        return self;
    }

    public CrossAttention crossAttention() {
        return cross;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape x = new Shape(1, 1, config.dModel());
        for (AbstractBlock b : new AbstractBlock[] {norm1, self, drop1, normCross, cross, dropCross, norm2, ff1,
                drop2}) {
            b.initialize(manager, dataType, x);
        }
        ff2.initialize(manager, dataType, new Shape(1, 1, config.ffnDim()));
    }

    /**
     * The training form over a whole target.
     *
     * @param x (B, T, Dm) the target so far
     * @param source encoder outputs (B, S, Dm)
     * @param sourceMask (B, S) or null
     * @param k the wait-k lag or {@code WaitK.OFFLINE}
     * @param form the causal form of self-attention and of linear cross-attention
     * @return (B, T, Dm)
     */
    public NDArray forward(ParameterStore ps, NDArray x, NDArray source, NDArray sourceMask, long k, Form form,
            boolean training) {
        NDArray h;
        try (NDArray n = one(norm1, ps, x, training)) {
            AttentionOutput<AttentionState> a = self.causal(ps, n, null, form, training);
            a.state().close();
            try (NDArray ao = a.output(); NDArray d = one(drop1, ps, ao, training)) {
                h = x.add(d);
            }
        }
        NDArray c;
        try (h; NDArray n = one(normCross, ps, h, training);
                NDArray a = cross.waitK(ps, n, source, sourceMask, k, form, training);
                NDArray d = one(dropCross, ps, a, training)) {
            c = h.add(d);
        }
        return feedForward(ps, c, training);
    }

    /**
     * Streaming: new target tokens after those in {@code state}, reading the source as it is.
     *
     * @return the output (B, N, Dm) and the self-attention state after the last token
     */
    public AttentionOutput<AttentionState> step(ParameterStore ps, NDArray x, AttentionState state,
            CrossAttention.Source source, Form form) {
        NDArray h;
        AttentionState next;
        try (NDArray n = one(norm1, ps, x, false)) {
            AttentionOutput<AttentionState> a = self.causal(ps, n, state, form, false);
            next = a.state();
            try (NDArray ao = a.output()) {
                h = x.add(ao);
            }
        }
        NDArray c;
        try (h; NDArray n = one(normCross, ps, h, false); NDArray a = cross.read(ps, source, n)) {
            c = h.add(a);
        }
        return new AttentionOutput<>(feedForward(ps, c, false), next);
    }

    /** LN_c(x) of the layer's input as the cross-attention sees it (for inspection). */
    NDArray crossInput(ParameterStore ps, NDArray x, NDArray source, NDArray sourceMask, long k, Form form) {
        try (NDArray n = one(norm1, ps, x, false)) {
            AttentionOutput<AttentionState> a = self.causal(ps, n, null, form, false);
            a.state().close();
            try (NDArray ao = a.output(); NDArray h = x.add(ao)) {
                return one(normCross, ps, h, false);
            }
        }
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
        throw new UnsupportedOperationException("SimulDecoderLayer: call forward(ps, x, source, mask, k, form, "
                + "training) or step(...)");
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
        BlockVersions.require("SimulDecoderLayer", VERSION, loadVersion);
        readInputShapes(is); // what AbstractBaseBlock.saveMetadata wrote after the version
    }
}
