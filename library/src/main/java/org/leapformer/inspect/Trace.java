package org.leapformer.inspect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.leapformer.model.Backbone;
import org.leapformer.model.DecoderLM;
import org.leapformer.model.EncoderClassifier;
import org.leapformer.model.LayerProbe;
import org.leapformer.model.ModelConfig;
import org.leapformer.nn.AttentionKind;
import org.leapformer.ops.Checks;

/**
 * Everything a forward pass of a model computed, layer by layer: the trace of a
 * {@link DecoderLM} (causal, in the model's training form) or of an {@link EncoderClassifier}
 * (bidirectional, padding masked as the model masks it).
 *
 * <pre>
 *   trace.logits()                          (B, N, V) or (B, C): the model's own forward
 *   trace.layer(i).input() / output()       (B, N, Dm)
 *   trace.layer(i).q() / k() / v()          (B, H, N, D)
 *   trace.layer(i).queryProportions()       (B, H, N, 1): LeaP's learned p, cosFormer's i/N
 *   trace.layer(i).reweighting()            (B, H, N, N): cos(π/2·(p_q,i − p_k,j)), on demand
 *   trace.layer(i).weights()                (B, H, N, N): normalised attention weights, on demand
 * </pre>
 *
 * The N×N quantities are computed when asked for and refused above {@link #MAX_MATRIX_TOKENS}
 * tokens. Every quantity is also available as plain {@link Values}. A trace owns its memory (a
 * sub-manager of the manager given) and is closed when done. Run without gradients.
 */
public final class Trace implements AutoCloseable {

    /** The longest sequence whose N×N re-weighting map or attention weights a trace computes. */
    public static final int MAX_MATRIX_TOKENS = 2048;

    private final NDManager manager;
    private final ModelConfig config;
    private final boolean causal;
    private final NDArray ids;
    private final NDArray keyMask;
    private final List<LayerTrace> layers;
    private final NDArray logits;

    private Trace(NDManager manager, ModelConfig config, boolean causal, NDArray ids, NDArray keyMask,
            List<LayerTrace> layers, NDArray logits) {
        this.manager = manager;
        this.config = config;
        this.causal = causal;
        this.ids = ids;
        this.keyMask = keyMask;
        this.layers = Collections.unmodifiableList(layers);
        this.logits = logits;
    }

    /**
     * Traces a language model's parallel pass (its training form) over token ids (B, N).
     *
     * @param parent the trace's memory hangs from a sub-manager of it
     */
    public static Trace of(DecoderLM lm, NDArray ids, NDManager parent) {
        return run(lm.backbone(), ids, null, parent,
                (ps, x, probe) -> lm.logits(ps, x, lm.config().trainingForm(), false, probe));
    }

    /** Traces a language model over one sequence of token ids (B = 1). */
    public static Trace of(DecoderLM lm, int[] ids, NDManager parent) {
        try (NDManager m = parent.newSubManager()) {
            return of(lm, tokens(m, ids), parent);
        }
    }

    /**
     * Traces a classifier over token ids (B, N); the key mask is the model's: 1 for tokens that are
     * not {@link ModelConfig#padId()}.
     */
    public static Trace of(EncoderClassifier model, NDArray ids, NDManager parent) {
        return run(model.backbone(), ids, model.config().padId(), parent,
                (ps, x, probe) -> model.logits(ps, x, false, probe));
    }

    /** Traces a classifier over one sequence of token ids (B = 1). */
    public static Trace of(EncoderClassifier model, int[] ids, NDManager parent) {
        try (NDManager m = parent.newSubManager()) {
            return of(model, tokens(m, ids), parent);
        }
    }

    private static NDArray tokens(NDManager m, int[] ids) {
        Checks.require(ids != null && ids.length > 0, "token ids", "at least one token", ids == null ? "null" : 0);
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return m.create(l, new Shape(1, ids.length));
    }

    /** A model's forward with a probe. */
    @FunctionalInterface
    private interface Forward {
        NDArray logits(ParameterStore ps, NDArray ids, LayerProbe probe);
    }

    private static Trace run(Backbone backbone, NDArray ids, Integer padId, NDManager parent, Forward forward) {
        Checks.require(ids != null && ids.getShape().dimension() == 2, "token ids", "a (B, N) array",
                ids == null ? "null" : ids.getShape());
        Checks.require(ids.getShape().get(1) > 0, "token ids", "at least one token per sequence", "N=0");
        NDManager m = parent.newSubManager(ids.getDevice());
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager scratch = m.newSubManager()) { // the forward's intermediates go here
            NDArray own = keep(m, ids);
            NDArray x = keep(scratch, ids);
            Recorder rec = new Recorder(m, backbone.layers().size());
            NDArray logits = forward.logits(new ParameterStore(scratch, false), x, rec);
            logits.attach(m);
            NDArray mask = null;
            if (padId != null) {
                try (NDArray pad = own.eq(padId); NDArray real = pad.logicalNot()) {
                    mask = real.toType(DataType.FLOAT32, false);
                }
            }
            List<LayerTrace> layers = new ArrayList<>();
            for (int i = 0; i < backbone.layers().size(); i++) {
                layers.add(new LayerTrace(i, backbone.layer(i).attention().core(), backbone.isCausal(), mask,
                        rec.input[i], rec.q[i], rec.k[i], rec.v[i], rec.attention[i], rec.output[i]));
            }
            return new Trace(m, backbone.config(), backbone.isCausal(), own, mask, layers, logits);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /** Keeps copies of what the probe shows, on the trace's manager. */
    private static final class Recorder implements LayerProbe {
        final NDManager m;
        final NDArray[] input;
        final NDArray[] q;
        final NDArray[] k;
        final NDArray[] v;
        final NDArray[] attention;
        final NDArray[] output;

        Recorder(NDManager m, int layers) {
            this.m = m;
            input = new NDArray[layers];
            q = new NDArray[layers];
            k = new NDArray[layers];
            v = new NDArray[layers];
            attention = new NDArray[layers];
            output = new NDArray[layers];
        }

        @Override
        public void input(int layer, NDArray x) {
            input[layer] = keep(m, x);
        }

        @Override
        public void attention(int layer, long offset, NDArray qq, NDArray kk, NDArray vv, NDArray o) {
            q[layer] = keep(m, qq);
            k[layer] = keep(m, kk);
            v[layer] = keep(m, vv);
            attention[layer] = keep(m, o);
        }

        @Override
        public void output(int layer, NDArray x) {
            output[layer] = keep(m, x);
        }
    }

    static NDArray keep(NDManager m, NDArray x) {
        NDArray c = x.duplicate();
        c.attach(m);
        return c;
    }

    /** The model's output: next-token logits (B, N, V) of a language model, class logits (B, C) of a classifier. */
    public NDArray logits() {
        return logits;
    }

    /** {@link #logits()} as plain values. */
    public Values logitsValues() {
        return Values.of(logits);
    }

    /** The token ids traced, (B, N). */
    public NDArray ids() {
        return ids;
    }

    /** The classifier's key mask (B, N), 1 for real tokens; null for a language model. */
    public NDArray keyMask() {
        return keyMask;
    }

    /** Whether the model attends causally (a language model). */
    public boolean isCausal() {
        return causal;
    }

    public AttentionKind kind() {
        return config.kind();
    }

    /** B. */
    public long batchSize() {
        return ids.getShape().get(0);
    }

    /** N. */
    public long length() {
        return ids.getShape().get(1);
    }

    /** H. */
    public int heads() {
        return config.heads();
    }

    /** Number of layers. */
    public int layerCount() {
        return layers.size();
    }

    public List<LayerTrace> layers() {
        return layers;
    }

    /**
     * Layer {@code i}'s trace.
     *
     * @throws IllegalArgumentException naming the valid range
     */
    public LayerTrace layer(int i) {
        Checks.require(i >= 0 && i < layers.size(), "layer index", "0.." + (layers.size() - 1), i);
        return layers.get(i);
    }

    @Override
    public void close() {
        manager.close();
    }

    @Override
    public String toString() {
        return "Trace(" + config.kind() + ", " + (causal ? "causal" : "bidirectional") + ", B=" + batchSize() + ", N="
                + length() + ", layers=" + layers.size() + ", H=" + config.heads() + ")";
    }
}
