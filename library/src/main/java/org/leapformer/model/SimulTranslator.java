package org.leapformer.model;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.leapformer.nn.AttentionKind;
import org.leapformer.nn.BlockVersions;
import org.leapformer.ops.AttentionOutput;
import org.leapformer.ops.AttentionState;
import org.leapformer.ops.Checks;
import org.leapformer.ops.Form;
import org.leapformer.ops.WaitK;

/**
 * An encoder–decoder for simultaneous (streaming) translation: a unidirectional encoder over the
 * source — what it computed for tokens already read never changes as more arrive — and a decoder
 * with causal self-attention and cross-attention over the source read so far.
 *
 * <pre>
 *   h = LN(encoder_causal(E_src[x]))                          (B, S, Dm)  the shared {@link Backbone}
 *   y = decoder_L(... decoder_1(E_tgt[y_in], h))             {@link SimulDecoderLayer}s
 *   logits = W_out · LN(y)                                    (B, T, V)
 * </pre>
 *
 * Training follows a wait-k policy (prefix-to-prefix, STACL): target position t reads the first
 * min(t + k, S) source tokens; {@link WaitK#OFFLINE} is ordinary offline training. Decoding
 * streams ({@link #newStream}): {@code read} adds source tokens to the encoder states and to each
 * layer's cross-attention state, {@code write} decodes one target token from what has been read;
 * with linear attention each costs constant time in the target length. LeaP and ReLU-linear keep
 * a d×d cross state; softmax keeps the source keys and values. cosFormer is refused: its i/N needs
 * the final lengths.
 *
 * <p>One vocabulary serves source and target (the source and target embeddings are separate).
 */
public final class SimulTranslator extends AbstractBlock {

    private static final byte VERSION = 1;

    private final ModelConfig config;
    private final Backbone encoder;
    private final Embeddings targetEmbeddings;
    private final Dropout dropout;
    private final List<SimulDecoderLayer> layers = new ArrayList<>();
    private final LayerNorm norm;
    private final Linear head;
    private DataType dataType = DataType.FLOAT32;

    /**
     * @throws IllegalArgumentException for cosFormer attention, saying why
     */
    public SimulTranslator(ModelConfig config) {
        super(VERSION);
        Checks.require(config.kind() != AttentionKind.COSFORMER, "translation attention kind",
                "LEAP, RELU_LINEAR or SOFTMAX (cosFormer re-weights by i/N, and in simultaneous translation neither the "
                        + "source length nor the target length is known while decoding)", config.kind());
        this.config = config;
        encoder = addChildBlock("encoder", new Backbone(config, true));
        targetEmbeddings = addChildBlock("targetEmbeddings", new Embeddings(config.vocabSize(), config.maxLength(),
                config.dModel(), config.positions()));
        dropout = addChildBlock("dropout", Dropout.builder().optRate((float) config.dropout()).build());
        for (int i = 0; i < config.layers(); i++) {
            layers.add(addChildBlock("decoder" + i, new SimulDecoderLayer(config)));
        }
        norm = addChildBlock("norm", LayerNorm.builder().axis(2).build());
        head = addChildBlock("head", Linear.builder().setUnits(config.vocabSize()).build());
    }

    public ModelConfig config() {
        return config;
    }

    /** The encoder stack (causal). */
    public Backbone encoder() {
        return encoder;
    }

    public List<SimulDecoderLayer> decoderLayers() {
        return Collections.unmodifiableList(layers);
    }

    /**
     * Initialises every parameter from libtorch's one generator, in order: seed the engine first
     * for reproducible weights. Two configurations seeded alike differ in parameters they share
     * when one has more blocks; {@link #initialize(NDManager, DataType, long)} does not.
     *
     * @return this
     */
    public SimulTranslator initialize(NDManager manager, DataType dataType) {
        this.dataType = dataType;
        initialize(manager, dataType, new Shape(1, 1));
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
    public SimulTranslator initialize(NDManager manager, DataType dataType, long seed) {
        initialize(manager, dataType);
        Parameters.reinitialize(this, seed);
        return this;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape x = new Shape(1, 1, config.dModel());
        encoder.initialize(manager, dataType, new Shape(1, 1));
        targetEmbeddings.initialize(manager, dataType, new Shape(1, 1));
        dropout.initialize(manager, dataType, x);
        for (SimulDecoderLayer l : layers) {
            l.initialize(manager, dataType, x);
        }
        norm.initialize(manager, dataType, x);
        head.initialize(manager, dataType, x);
    }

    /**
     * Next-token logits of every target position under a wait-k policy, in the configuration's
     * training form.
     *
     * @param source source ids (B, S)
     * @param sourceMask (B, S) 1 for real tokens, 0 for padding at the end, or null
     * @param target decoder input ids (B, T): the target shifted right, starting with the start token
     * @param k the lag (target position t reads min(t + k, S) source tokens) or {@link WaitK#OFFLINE}
     * @return (B, T, V)
     */
    public NDArray logits(ParameterStore ps, NDArray source, NDArray sourceMask, NDArray target, long k,
            boolean training) {
        return logits(ps, source, sourceMask, target, k, config.trainingForm(), training);
    }

    /** As above in a given form: QUADRATIC is the masked reference, CHUNKED the training form. */
    public NDArray logits(ParameterStore ps, NDArray source, NDArray sourceMask, NDArray target, long k, Form form,
            boolean training) {
        requireInitialized();
        checkIds("source", source);
        checkIds("target", target);
        Checks.require(source.getShape().get(0) == target.getShape().get(0), "target batch",
                "B=" + source.getShape().get(0) + " as the source", target.getShape().get(0));
        if (sourceMask != null) {
            Checks.require(sourceMask.getShape().equals(source.getShape()), "source mask", "shape " + source.getShape()
                    + " as the source ids", sourceMask.getShape());
        }
        try (NDArray h = encode(ps, source, form, training)) {
            NDArray x = embedTarget(ps, target, 0, training);
            for (SimulDecoderLayer l : layers) {
                NDArray next = l.forward(ps, x, h, sourceMask, k, form, training);
                x.close();
                x = next;
            }
            return finish(ps, x, training);
        }
    }

    /** Inference logits (B, T, V) under wait-k. */
    public NDArray logits(NDArray source, NDArray sourceMask, NDArray target, long k) {
        return logits(new ParameterStore(source.getManager(), false), source, sourceMask, target, k, false);
    }

    /**
     * The cross-attention weights of decoder layer {@code layer} under wait-k, (B, H, T, S): row t
     * is what target position t gives each source token (zero for those not read yet).
     */
    public NDArray crossWeights(NDArray source, NDArray target, long k, int layer) {
        Checks.require(layer >= 0 && layer < layers.size(), "decoder layer", "0.." + (layers.size() - 1), layer);
        ParameterStore ps = new ParameterStore(source.getManager(), false);
        try (NDManager scope = source.getManager().newSubManager()) {
            NDArray h = encode(ps, source, Form.CHUNKED, false);
            NDArray x = embedTarget(ps, target, 0, false);
            h.attach(scope);
            x.attach(scope);
            for (int i = 0; i < layer; i++) {
                x = layers.get(i).forward(ps, x, h, null, k, Form.CHUNKED, false);
                x.attach(scope);
            }
            NDArray n = layers.get(layer).crossInput(ps, x, h, null, k, Form.CHUNKED);
            n.attach(scope);
            NDArray w = layers.get(layer).crossAttention().weights(ps, n, h, null, k);
            w.attach(source.getManager());
            return w;
        }
    }

    private NDArray encode(ParameterStore ps, NDArray source, Form form, boolean training) {
        List<AttentionState> states = new ArrayList<>(Collections.nCopies(config.layers(), null));
        NDArray h = encoder.causal(ps, source, 0, states, form == Form.QUADRATIC ? Form.QUADRATIC : form, training);
        states.forEach(AttentionState::close);
        return h;
    }

    private NDArray embedTarget(ParameterStore ps, NDArray ids, long offset, boolean training) {
        long n = ids.getShape().get(1);
        Checks.require(offset + n <= config.lengthLimit(), "target length",
                "at most " + config.lengthLimit() + " tokens (" + config.lengthLimitReason() + ")",
                "positions up to " + (offset + n));
        try (NDArray e = targetEmbeddings.embed(ps, ids, offset, training)) {
            return dropout.forward(ps, new NDList(e), training).singletonOrThrow();
        }
    }

    private NDArray finish(ParameterStore ps, NDArray x, boolean training) {
        try (x; NDArray n = norm.forward(ps, new NDList(x), training).singletonOrThrow()) {
            return head.forward(ps, new NDList(n), training).singletonOrThrow();
        }
    }

    private void requireInitialized() {
        Checks.initialized(this, toString(), "initialize(manager, dataType[, seed])");
    }

    private void checkIds(String what, NDArray ids) {
        Checks.require(ids.getShape().dimension() == 2 && ids.getShape().get(1) > 0, what + " ids",
                "(B, N) with N >= 1", ids.getShape());
        Checks.ids(what + " ids", ids, config.vocabSize(), "the vocabulary");
    }

    /**
     * A streaming decoder for B sequences: states on a sub-manager of {@code manager}. Close it.
     */
    public Stream newStream(NDManager manager, long batch) {
        requireInitialized();
        return new Stream(manager, batch);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray mask = inputs.size() > 2 ? inputs.get(2) : null;
        return new NDList(logits(ps, inputs.get(0), mask, inputs.get(1), WaitK.OFFLINE, training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[1].get(0), inputShapes[1].get(1), config.vocabSize())};
    }

    @Override
    public void loadParameters(NDManager manager, DataInputStream is) throws IOException, MalformedModelException {
        super.loadParameters(manager, is);
        BlockVersions.afterLoad(this);
    }

    @Override
    public void loadMetadata(byte loadVersion, DataInputStream is) throws IOException, MalformedModelException {
        BlockVersions.require("SimulTranslator", VERSION, loadVersion);
        readInputShapes(is); // what AbstractBaseBlock.saveMetadata wrote after the version
    }

    @Override
    public String toString() {
        return "SimulTranslator(" + config.kind() + ", layers=" + config.layers() + ", Dm=" + config.dModel()
                + ", H=" + config.heads() + ", D=" + config.headDim() + ", V=" + config.vocabSize() + ")";
    }

    /**
     * Streaming decoding: {@link #read} source tokens as they arrive, {@link #write} target tokens
     * from what has been read. Every array of a call is made on the manager of its ids (close it
     * after the call); the stream keeps only its states.
     */
    public final class Stream implements AutoCloseable {

        private final NDManager manager;
        private final ParameterStore ps;
        private final long batch;
        private final List<AttentionState> encoderStates = new ArrayList<>();
        private final List<CrossAttention.Source> sources = new ArrayList<>();
        private final List<AttentionState> decoderStates = new ArrayList<>();
        private long read;
        private long written;

        private Stream(NDManager parent, long batch) {
            Checks.require(batch > 0, "stream batch", "B >= 1", batch);
            this.manager = parent.newSubManager();
            this.ps = new ParameterStore(manager, false);
            this.batch = batch;
            encoderStates.addAll(encoder.newStates(manager, batch, dataType));
            for (SimulDecoderLayer l : layers) {
                sources.add(null);
                decoderStates.add(l.selfAttention().newState(manager, batch, dataType));
            }
        }

        /** Source tokens read so far. */
        public long sourceLength() {
            return read;
        }

        /** Target tokens fed to the decoder so far. */
        public long targetLength() {
            return written;
        }

        /**
         * Reads the next source tokens: the encoder continues its causal states and every decoder
         * layer adds them to its cross-attention source.
         *
         * @param ids (B, N) source ids
         */
        public void read(NDArray ids) {
            checkIds("source", ids);
            Checks.require(ids.getShape().get(0) == batch, "source batch", "B=" + batch, ids.getShape().get(0));
            List<AttentionState> next = new ArrayList<>(encoderStates);
            Form form = ids.getShape().get(1) == 1 ? Form.RECURRENT : Form.CHUNKED;
            try (NDArray h = encoder.causal(ps, ids, read, next, form, false)) {
                for (AttentionState s : encoderStates) {
                    s.close();
                }
                encoderStates.clear();
                encoderStates.addAll(next);
                for (int i = 0; i < layers.size(); i++) {
                    CrossAttention.Source old = sources.get(i);
                    sources.set(i, layers.get(i).crossAttention().extend(ps, manager, old, h));
                    if (old != null) {
                        old.close();
                    }
                }
            }
            read += ids.getShape().get(1);
        }

        /**
         * Feeds the previous target token(s) and returns the next-token logits, reading only the
         * source read so far.
         *
         * @param ids (B, N) decoder input ids (the start token first)
         * @return logits (B, N, V) on the manager of {@code ids}
         * @throws IllegalStateException before any source token was read
         */
        public NDArray write(NDArray ids) {
            if (read == 0) {
                throw new IllegalStateException("write: expected at least one source token read first (a wait-k "
                        + "policy reads k before the first write), found none");
            }
            checkIds("target", ids);
            Checks.require(ids.getShape().get(0) == batch, "target batch", "B=" + batch, ids.getShape().get(0));
            Form form = ids.getShape().get(1) == 1 ? Form.RECURRENT : Form.CHUNKED;
            NDArray x = embedTarget(ps, ids, written, false);
            for (int i = 0; i < layers.size(); i++) {
                AttentionOutput<AttentionState> r = layers.get(i).step(ps, x, decoderStates.get(i), sources.get(i),
                        form);
                x.close();
                x = r.output();
                decoderStates.get(i).close();
                decoderStates.set(i, r.state());
            }
            written += ids.getShape().get(1);
            return finish(ps, x, false);
        }

        /** Bytes of the cross-attention states (all layers): constant for linear attention. */
        public long crossStateBytes() {
            long b = 0;
            for (CrossAttention.Source s : sources) {
                b += s == null ? 0 : s.bytes();
            }
            return b;
        }

        @Override
        public void close() {
            encoderStates.forEach(AttentionState::close);
            decoderStates.forEach(AttentionState::close);
            for (CrossAttention.Source s : sources) {
                if (s != null) {
                    s.close();
                }
            }
            manager.close();
        }
    }
}
