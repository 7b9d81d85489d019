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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.leapformer.nn.BlockVersions;
import org.leapformer.ops.AttentionState;
import org.leapformer.ops.Checks;
import org.leapformer.ops.Form;

/**
 * A decoder-only language model with causal attention of any kind.
 *
 * <pre>
 *   h = backbone(ids)                             (B, N, Dm)  causal, each layer continuing its own state
 *   logits = h E_tokᵀ  (tied)  or  h W            (B, N, V)
 * </pre>
 *
 * The parallel pass ({@link #logits}) runs the chunked form; {@link #newSession} decodes token
 * by token through the recurrent form with one state per layer (a {@code LinearState} of fixed
 * size, or a {@code KvCache} for softmax) and gives the same logits. With sinusoidal or no
 * positions (the default, {@link Positions}) sessions and generation run past {@code maxLength},
 * the training window, in constant memory per token for linear attention.
 */
public final class DecoderLM extends AbstractBlock {

    private static final byte VERSION = 1;

    private final ModelConfig config;
    private final Backbone backbone;
    private final Linear head;
    private DataType dataType = DataType.FLOAT32;
    /** Whether {@link #generate} decodes on the JVM when it can (tests compare both paths). */
    boolean useJvmDecoder = true;

    public DecoderLM(ModelConfig config) {
        super(VERSION);
        this.config = config;
        backbone = addChildBlock("backbone", new Backbone(config, true));
        head = config.tiedEmbeddings() ? null
                : addChildBlock("head", Linear.builder().setUnits(config.vocabSize()).optBias(false).build());
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

    /** The output projection, or null when tied to the token table. */
    Linear headLinear() {
        return head;
    }

    /**
     * Initialises every parameter from libtorch's one generator, in order: seed the engine first
     * for reproducible weights. Two configurations seeded alike differ in parameters they share
     * when one has more blocks; {@link #initialize(NDManager, DataType, long)} does not.
     */
    public DecoderLM initialize(NDManager manager, DataType dataType) {
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
    public DecoderLM initialize(NDManager manager, DataType dataType, long seed) {
        initialize(manager, dataType);
        Parameters.reinitialize(this, seed);
        return this;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        this.dataType = dataType;
        Shape x = new Shape(1, 1, config.dModel());
        backbone.initialize(manager, dataType, new Shape(1, 1));
        if (head != null) {
            head.initialize(manager, dataType, x);
        }
    }

    /** Next-token logits for every position, (B, N, V), in the configuration's training form. */
    public NDArray logits(ParameterStore ps, NDArray ids, boolean training) {
        return logits(ps, ids, config.trainingForm(), training);
    }

    /** Next-token logits for every position, (B, N, V), in the given causal form. */
    public NDArray logits(ParameterStore ps, NDArray ids, Form form, boolean training) {
        return logits(ps, ids, form, training, null);
    }

    /**
     * Next-token logits (B, N, V) in the given causal form, showing every layer to a probe (or
     * null): the inspection hook under {@code org.leapformer.inspect}.
     */
    public NDArray logits(ParameterStore ps, NDArray ids, Form form, boolean training, LayerProbe probe) {
        requireInitialized();
        List<AttentionState> states = new ArrayList<>(Collections.nCopies(config.layers(), null));
        NDArray out = run(ps, ids, 0, states, form, training, probe);
        for (AttentionState s : states) {
            s.close();
        }
        return out;
    }

    /** Logits for inference, (B, N, V). */
    public NDArray logits(NDArray ids) {
        return logits(new ParameterStore(ids.getManager(), false), ids, false);
    }

    /**
     * Runs tokens after {@code offset} through every layer, replacing {@code states[i]} by the
     * state after the last token (the old states are not closed here).
     */
    private NDArray run(ParameterStore ps, NDArray ids, long offset, List<AttentionState> states, Form form,
            boolean training, LayerProbe probe) {
        try (NDArray h = backbone.causal(ps, ids, offset, states, form, training, probe)) {
            return head(ps, h, training);
        }
    }

    /** Logits (B, N, V) of final hidden states h (B, N, Dm). */
    NDArray head(ParameterStore ps, NDArray h, boolean training) {
        if (head != null) {
            return head.forward(ps, new NDList(h), training).singletonOrThrow();
        }
        try (NDArray t = backbone.tokenTable(ps, h.getDevice(), training).transpose()) {
            return h.matMul(t); // (B, N, V)
        }
    }

    /**
     * A decoding session: one attention state per layer, owned by a sub-manager of {@code manager}
     * (a long-lived manager). Close it when done.
     *
     * @param batch B, the number of sequences decoded together
     */
    public Session newSession(NDManager manager, long batch) {
        requireInitialized();
        return new Session(manager, batch);
    }

    /**
     * Generates tokens after a prompt, one at a time from the recurrent state (constant memory
     * per token for linear attention). On the CPU every token goes through {@link JvmDecoder}, the
     * fused recurrent path computed on the JVM; elsewhere (a GPU) the prompt is fed through the
     * chunked form, then every new token through the recurrent form of a {@link Session}.
     *
     * @param prompt token ids, at least one
     * @param maxNewTokens how many tokens to add (prompt + new ≤ {@link ModelConfig#lengthLimit()}: no
     *     limit unless positions are learned or the attention is cosFormer)
     * @return the new tokens
     */
    public int[] generate(NDManager manager, int[] prompt, int maxNewTokens, Sampling sampling) {
        JvmDecoder.checkGeneration(config, prompt, maxNewTokens);
        requireInitialized();
        int[] out = new int[maxNewTokens];
        if (maxNewTokens == 0) {
            return out;
        }
        if (useJvmDecoder && JvmDecoder.supports(this)) { // the fused recurrent path: no native call per token
            return JvmDecoder.of(this).generate(prompt, maxNewTokens, sampling);
        }
        Sampling.Picker picker = sampling.picker();
        try (NDManager m = manager.newSubManager(); Session session = newSession(m, 1)) {
            float[] last;
            try (NDManager step = m.newSubManager()) {
                NDArray ids = step.create(Arrays.stream(prompt).asLongStream().toArray(), new Shape(1, prompt.length));
                last = lastLogits(session.feed(ids, config.trainingForm()));
            }
            for (int t = 0; t < maxNewTokens; t++) {
                out[t] = picker.pick(last);
                if (t + 1 < maxNewTokens) {
                    try (NDManager step = m.newSubManager()) {
                        NDArray ids = step.create(new long[] {out[t]}, new Shape(1, 1));
                        last = lastLogits(session.feed(ids, Form.RECURRENT));
                    }
                }
            }
        }
        return out;
    }

    private static float[] lastLogits(NDArray logits) {
        long n = logits.getShape().get(1);
        try (NDArray l = logits.get("0, {}, :", n - 1); NDArray f = l.toType(DataType.FLOAT32, false)) {
            return f.toFloatArray();
        }
    }

    private void requireInitialized() {
        Checks.initialized(this, toString(), "initialize(manager, dataType[, seed])");
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        return new NDList(logits(ps, inputs.singletonOrThrow(), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), inputShapes[0].get(1), config.vocabSize())};
    }

    @Override
    public void loadParameters(NDManager manager, DataInputStream is) throws IOException, MalformedModelException {
        super.loadParameters(manager, is);
        BlockVersions.afterLoad(this);
    }

    @Override
    public void loadMetadata(byte loadVersion, DataInputStream is) throws IOException, MalformedModelException {
        BlockVersions.require("DecoderLM", VERSION, loadVersion);
        readInputShapes(is); // what AbstractBaseBlock.saveMetadata wrote after the version
    }

    @Override
    public String toString() {
        return "DecoderLM(" + config.kind() + ", layers=" + config.layers() + ", Dm=" + config.dModel() + ", H="
                + config.heads() + ", D=" + config.headDim() + ", V=" + config.vocabSize()
                + (config.tiedEmbeddings() ? ", tied" : "") + ")";
    }

    /**
     * Step-by-step decoding: keeps one state per layer on its own manager and replaces them
     * (closing the old ones) at every {@link #feed}. Memory stays constant per token for linear
     * attention; a softmax KV cache grows by one row per token.
     */
    public final class Session implements AutoCloseable {

        private final NDManager manager;
        private final ParameterStore ps;
        private final List<AttentionState> states = new ArrayList<>();
        private final long batch;

        private Session(NDManager parent, long batch) {
            Checks.require(batch > 0, "session batch", "B >= 1", batch);
            this.manager = parent.newSubManager();
            this.ps = new ParameterStore(manager, false);
            this.batch = batch;
            states.addAll(backbone.newStates(manager, batch, dataType));
        }

        private Session(Session from, NDManager parent) {
            this.manager = parent.newSubManager();
            this.ps = new ParameterStore(manager, false);
            this.batch = from.batch;
            for (AttentionState s : from.states) {
                states.add(s.copy(manager));
            }
        }

        /**
         * An independent session at the same point, whose states hang from {@code parent}: feeding
         * one leaves the other as it was (two continuations of one prefix). Cheap for linear
         * attention: one d×d state per layer and head.
         */
        public Session fork(NDManager parent) {
            return new Session(this, parent);
        }

        /** The model this session decodes. */
        public DecoderLM model() {
            return DecoderLM.this;
        }

        /** B. */
        public long batchSize() {
            return batch;
        }

        /** Tokens consumed so far (the position of the next token). */
        public long length() {
            return states.get(0).length();
        }

        /**
         * Feeds the next tokens and returns their next-token logits. Every array of the step
         * (intermediates and logits) is created on the manager of {@code ids}: put them on a
         * short-lived manager and close it after the step; the session keeps only the states.
         *
         * @param ids (B, N) token ids following those fed before
         * @param form RECURRENT for single tokens; CHUNKED to prefill a prompt
         * @return logits (B, N, V) on the manager of {@code ids}
         */
        public NDArray feed(NDArray ids, Form form) {
            return feed(ids, form, null);
        }

        /** As {@link #feed(NDArray, Form)}, showing every layer to a probe (or null). */
        public NDArray feed(NDArray ids, Form form, LayerProbe probe) {
            Checks.require(ids.getShape().dimension() == 2 && ids.getShape().get(0) == batch, "session tokens",
                    "(B=" + batch + ", N)", ids.getShape());
            List<AttentionState> next = new ArrayList<>(states);
            NDArray logits = run(ps, ids, length(), next, form, false, probe);
            for (AttentionState s : states) {
                s.close();
            }
            states.clear();
            states.addAll(next);
            return logits;
        }

        /** The attention state of layer {@code i} (owned by the session). */
        public AttentionState state(int i) {
            return states.get(i);
        }

        /** The manager the states hang from. */
        public NDManager manager() {
            return manager;
        }

        @Override
        public void close() {
            for (AttentionState s : states) {
                s.close();
            }
            manager.close();
        }
    }
}
