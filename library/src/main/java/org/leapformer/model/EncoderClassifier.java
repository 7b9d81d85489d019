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
import java.util.List;
import org.leapformer.nn.BlockVersions;
import org.leapformer.ops.Checks;
import org.leapformer.ops.Scalars;

/**
 * A transformer encoder classifier as in the Long Range Arena setup of the LeaPformer paper.
 *
 * <pre>
 *   x = backbone(ids, mask)                              (B, N, Dm)  bidirectional, pad keys masked
 *   h = mean over real tokens of x                      (B, Dm)
 *   logits = h W + b                                    (B, C)
 * </pre>
 *
 * Padding is every token equal to {@link ModelConfig#padId()}. Agostinelli, Hong, Chen,
 * "LeaPformer", ICML 2024, <a href="https://arxiv.org/abs/2405.13046">arXiv:2405.13046</a>.
 */
public final class EncoderClassifier extends AbstractBlock {

    private static final byte VERSION = 1;

    private final ModelConfig config;
    private final Backbone backbone;
    private final Linear head;

    /**
     * @throws IllegalArgumentException when the configuration has fewer than 2 classes
     */
    public EncoderClassifier(ModelConfig config) {
        super(VERSION);
        Checks.require(config.numClasses() >= 2, "classifier classes", "at least 2 (optNumClasses)",
                config.numClasses());
        this.config = config;
        backbone = addChildBlock("backbone", new Backbone(config, false));
        head = addChildBlock("head", Linear.builder().setUnits(config.numClasses()).build());
    }

    public ModelConfig config() {
        return config;
    }

    public List<TransformerLayer> layers() {
        return backbone.layers();
    }

    /** The embedding, layer stack and final norm. */
    public Backbone backbone() {
        return backbone;
    }

    /**
     * Initialises every parameter from libtorch's one generator, in order: seed the engine first
     * for reproducible weights. Two configurations seeded alike differ in parameters they share
     * when one has more blocks; {@link #initialize(NDManager, DataType, long)} does not.
     */
    public EncoderClassifier initialize(NDManager manager, DataType dataType) {
        initialize(manager, dataType, new Shape(1, config.maxLength()));
        return this;
    }

    /**
     * Initialises every parameter from a generator of its own, seeded from {@code seed} and the
     * parameter's path ({@link Parameters#reinitialize}): any two models initialised with the same
     * seed start with equal values in every parameter they share (same path, same shape), whatever
     * else they hold. Leaves libtorch's generator seeded from {@code seed} alone.
     *
     * @param seed the model seed
     * @return this
     */
    public EncoderClassifier initialize(NDManager manager, DataType dataType, long seed) {
        initialize(manager, dataType);
        Parameters.reinitialize(this, seed);
        return this;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        backbone.initialize(manager, dataType, new Shape(1, 1));
        head.initialize(manager, dataType, new Shape(1, config.dModel()));
    }

    /**
     * @param ids token ids (B, N), N ≤ maxLength
     * @return logits (B, C)
     */
    public NDArray logits(ParameterStore ps, NDArray ids, boolean training) {
        return logits(ps, ids, training, null);
    }

    /** Logits (B, C), showing every layer to a probe (or null): the inspection hook. */
    public NDArray logits(ParameterStore ps, NDArray ids, boolean training, LayerProbe probe) {
        Checks.initialized(this, toString(), "initialize(manager, dataType[, seed])");
        long n = ids.getShape().get(1);
        Checks.require(n > 0, "sequence length", "at least 1 token", n);
        Checks.require(n <= config.lengthLimit(), "sequence length", "at most " + config.lengthLimit() + " tokens ("
                + config.lengthLimitReason() + ")", n);
        DataType type = backbone.embeddings().getParameters().get(0).getValue().getArray().getDataType();
        try (NDArray pad = ids.eq(config.padId()); NDArray real = pad.logicalNot();
                NDArray mask = real.toType(type, false); // (B, N)
                NDArray h = backbone.bidirectional(ps, ids, mask, training, probe);
                NDArray m3 = mask.expandDims(2); NDArray hm = h.mul(m3); NDArray sum = hm.sum(new int[] {1});
                NDArray count = mask.sum(new int[] {1}, true); NDArray safe = Scalars.maximum(count, 1.0);
                NDArray pooled = sum.div(safe)) { // (B, Dm)
            return head.forward(ps, new NDList(pooled), training).singletonOrThrow();
        }
    }

    /** Logits for inference, (B, C). */
    public NDArray logits(NDArray ids) {
        return logits(new ParameterStore(ids.getManager(), false), ids, false);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        return new NDList(logits(ps, inputs.singletonOrThrow(), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), config.numClasses())};
    }

    @Override
    public void loadParameters(NDManager manager, DataInputStream is) throws IOException, MalformedModelException {
        super.loadParameters(manager, is);
        BlockVersions.afterLoad(this);
    }

    @Override
    public void loadMetadata(byte loadVersion, DataInputStream is) throws IOException, MalformedModelException {
        BlockVersions.require("EncoderClassifier", VERSION, loadVersion);
        readInputShapes(is); // what AbstractBaseBlock.saveMetadata wrote after the version
    }

    @Override
    public String toString() {
        return "EncoderClassifier(" + config.kind() + ", layers=" + config.layers() + ", Dm=" + config.dModel()
                + ", H=" + config.heads() + ", D=" + config.headDim() + ", classes=" + config.numClasses() + ")";
    }
}
