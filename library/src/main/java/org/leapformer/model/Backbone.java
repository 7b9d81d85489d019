package org.leapformer.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.leapformer.nn.BlockVersions;
import org.leapformer.ops.AttentionOutput;
import org.leapformer.ops.AttentionState;
import org.leapformer.ops.Checks;
import org.leapformer.ops.Form;

/**
 * The part every model shares: token and position embedding, dropout, a stack of pre-norm
 * {@link TransformerLayer}s and the final layer norm. {@link DecoderLM} puts a language-model head
 * on a causal backbone, {@link EncoderClassifier} pooling and a class head on a bidirectional one;
 * traces and steppers walk this one stack.
 *
 * <pre>
 *   x = dropout(E_tok[ids] + P[t..t+N−1])    (B, N, Dm)   P per {@link Positions}
 *   x = layer_L(... layer_1(x))              bidirectional (key mask) or causal (one state per layer)
 *   h = LN(x)                                (B, N, Dm)
 * </pre>
 */
public final class Backbone extends AbstractBlock {

    private static final byte VERSION = 1;

    private final ModelConfig config;
    private final boolean causal;
    private final Embeddings embeddings;
    private final Dropout dropout;
    private final List<TransformerLayer> layers = new ArrayList<>();
    private final LayerNorm norm;

    /**
     * @param causal true for a decoder stack (causal attention), false for an encoder
     */
    public Backbone(ModelConfig config, boolean causal) {
        super(VERSION);
        this.config = config;
        this.causal = causal;
        embeddings = addChildBlock("embeddings", new Embeddings(config.vocabSize(), config.maxLength(),
                config.dModel(), config.positions()));
        dropout = addChildBlock("dropout", Dropout.builder().optRate((float) config.dropout()).build());
        for (int i = 0; i < config.layers(); i++) {
            layers.add(addChildBlock("layer" + i, new TransformerLayer(config, causal)));
        }
        norm = addChildBlock("norm", LayerNorm.builder().axis(2).build());
    }

    public ModelConfig config() {
        return config;
    }

    /** Whether the layers attend causally. */
    public boolean isCausal() {
        return causal;
    }

    public Embeddings embeddings() {
        return embeddings;
    }

    public List<TransformerLayer> layers() {
        return Collections.unmodifiableList(layers);
    }

    /**
     * Layer {@code i}.
     *
     * @throws IllegalArgumentException naming the valid range
     */
    public TransformerLayer layer(int i) {
        Checks.require(i >= 0 && i < layers.size(), "layer index", "0.." + (layers.size() - 1), i);
        return layers.get(i);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape x = new Shape(1, 1, config.dModel());
        embeddings.initialize(manager, dataType, new Shape(1, 1));
        dropout.initialize(manager, dataType, x);
        for (TransformerLayer l : layers) {
            l.initialize(manager, dataType, x);
        }
        norm.initialize(manager, dataType, x);
    }

    LayerNorm finalNorm() {
        return norm;
    }

    /** dropout(embed(ids)) at positions offset.., (B, N, Dm). */
    NDArray embed(ParameterStore ps, NDArray ids, long offset, boolean training) {
        try (NDArray e = embeddings.embed(ps, ids, offset, training)) {
            return dropout.forward(ps, new NDList(e), training).singletonOrThrow();
        }
    }

    /** LN(x), closing x. */
    NDArray finish(ParameterStore ps, NDArray x, boolean training) {
        try (x) {
            return norm.forward(ps, new NDList(x), training).singletonOrThrow();
        }
    }

    /**
     * The encoder pass: every token attends to every real token.
     *
     * @param ids (B, N)
     * @param keyMask (B, N), 1 for real tokens and 0 for padding, or null
     * @return LN of the last layer's output, (B, N, Dm)
     */
    public NDArray bidirectional(ParameterStore ps, NDArray ids, NDArray keyMask, boolean training) {
        return bidirectional(ps, ids, keyMask, training, null);
    }

    /** As {@link #bidirectional(ParameterStore, NDArray, NDArray, boolean)}, showing every layer to a probe (or null). */
    public NDArray bidirectional(ParameterStore ps, NDArray ids, NDArray keyMask, boolean training, LayerProbe probe) {
        NDArray x = embed(ps, ids, 0, training);
        for (int i = 0; i < layers.size(); i++) {
            NDArray next = layers.get(i).bidirectional(ps, x, keyMask, training, attentionProbe(probe, i, x));
            x.close();
            x = next;
            if (probe != null) {
                probe.output(i, x);
            }
        }
        return finish(ps, x, training);
    }

    /** Tells the probe the layer's input and returns the probe of its attention (null without a probe). */
    private static MultiHeadAttention.Probe attentionProbe(LayerProbe probe, int layer, NDArray input) {
        if (probe == null) {
            return null;
        }
        probe.input(layer, input);
        return (offset, q, k, v, o) -> probe.attention(layer, offset, q, k, v, o);
    }

    /**
     * The decoder pass over the tokens after {@code offset}: each layer continues its state and
     * {@code states.get(i)} is replaced by the state after the last token (the old states are not
     * closed here; null entries start empty).
     *
     * @param ids (B, N)
     * @return LN of the last layer's output, (B, N, Dm)
     */
    public NDArray causal(ParameterStore ps, NDArray ids, long offset, List<AttentionState> states, Form form,
            boolean training) {
        return causal(ps, ids, offset, states, form, training, null);
    }

    /** As {@link #causal(ParameterStore, NDArray, long, List, Form, boolean)}, showing every layer to a probe (or null). */
    public NDArray causal(ParameterStore ps, NDArray ids, long offset, List<AttentionState> states, Form form,
            boolean training, LayerProbe probe) {
        Checks.require(states.size() == layers.size(), "attention states", "one per layer (" + layers.size() + ")",
                states.size());
        long n = ids.getShape().dimension() == 2 ? ids.getShape().get(1) : -1;
        Checks.require(offset + n <= config.lengthLimit(), "sequence length",
                "at most " + config.lengthLimit() + " tokens (" + config.lengthLimitReason() + ")",
                "positions up to " + (offset + n));
        NDArray x = embed(ps, ids, offset, training);
        for (int i = 0; i < layers.size(); i++) {
            AttentionOutput<AttentionState> r = layers.get(i).causal(ps, x, states.get(i), form, training,
                    attentionProbe(probe, i, x));
            x.close();
            x = r.output();
            states.set(i, r.state());
            if (probe != null) {
                probe.output(i, x);
            }
        }
        return finish(ps, x, training);
    }

    /** One empty causal state per layer, hanging from {@code manager}. */
    public List<AttentionState> newStates(NDManager manager, long batch, DataType dataType) {
        List<AttentionState> states = new ArrayList<>();
        for (TransformerLayer l : layers) {
            states.add(l.attention().newState(manager, batch, dataType));
        }
        return states;
    }

    /** The token table (V, Dm) as the store serves it (for a tied output projection). */
    public NDArray tokenTable(ParameterStore ps, Device device, boolean training) {
        return embeddings.tokenTable(ps, device, training);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        if (!causal) {
            return new NDList(bidirectional(ps, inputs.get(0), inputs.size() > 1 ? inputs.get(1) : null, training));
        }
        List<AttentionState> states = new ArrayList<>(Collections.nCopies(layers.size(), null));
        NDArray h = causal(ps, inputs.singletonOrThrow(), 0, states, config.trainingForm(), training);
        states.forEach(AttentionState::close);
        return new NDList(h);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), inputShapes[0].get(1), config.dModel())};
    }

    @Override
    public void loadParameters(NDManager manager, DataInputStream is) throws IOException, MalformedModelException {
        super.loadParameters(manager, is);
        BlockVersions.afterLoad(this);
    }

    @Override
    public void loadMetadata(byte loadVersion, DataInputStream is) throws IOException, MalformedModelException {
        BlockVersions.require("Backbone", VERSION, loadVersion);
        readInputShapes(is); // what AbstractBaseBlock.saveMetadata wrote after the version
    }
}
