package org.leapformer.model;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
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
import org.leapformer.nn.SoftmaxAttention;
import org.leapformer.ops.Checks;
import org.leapformer.ops.FeatureMap;
import org.leapformer.ops.Form;
import org.leapformer.ops.LinearForms;
import org.leapformer.ops.LinearState;
import org.leapformer.ops.Scalars;
import org.leapformer.ops.WaitK;

/**
 * Multi-head cross-attention from a decoder (queries) to an encoder's outputs (keys, values),
 * LeaP, ReLU-linear or softmax, in two ways that give the same result:
 * <ul>
 *   <li>{@link #waitK}: the training form over a whole target and source under a wait-k policy
 *       (target position t reads the first min(t + k, S) source tokens; see {@link WaitK});</li>
 *   <li>{@link #extend} and {@link #read}: streaming — the source state grows as source tokens
 *       arrive, and each new target token reads the state as it is (a linear d×d state, or for
 *       softmax the keys and values so far).</li>
 * </ul>
 * cosFormer is refused: its proportions i/N need the final lengths of source and target.
 */
public final class CrossAttention extends AbstractBlock {

    private static final byte VERSION = 1;

    private final ModelConfig config;
    private final Linear query;
    private final Linear key;
    private final Linear value;
    private final Linear out;
    private final AttentionCore<?> core;

    public CrossAttention(ModelConfig config) {
        super(VERSION);
        Checks.require(config.kind() != AttentionKind.COSFORMER, "cross-attention kind",
                "LEAP, RELU_LINEAR or SOFTMAX (cosFormer's proportions i/N need the final source and target lengths, "
                        + "which a stream does not know)", config.kind());
        this.config = config;
        int inner = config.innerDim();
        query = addChildBlock("query", Linear.builder().setUnits(inner).build());
        key = addChildBlock("key", Linear.builder().setUnits(inner).build());
        value = addChildBlock("value", Linear.builder().setUnits(inner).build());
        out = addChildBlock("out", Linear.builder().setUnits(config.dModel()).build());
        core = addChildBlock("core", config.newAttentionCore(false));
    }

    public AttentionKind kind() {
        return config.kind();
    }

    /** The attention mechanism (for inspection: proportions of a LeaP core). */
    public AttentionCore<?> core() {
        return core;
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
     * The training form.
     *
     * @param x decoder states (B, T, Dm)
     * @param source encoder outputs (B, S, Dm)
     * @param sourceMask (B, S) 1 for real source tokens, or null
     * @param k the wait-k lag (≥ 1) or {@link WaitK#OFFLINE}
     * @param form how linear attention computes it: CHUNKED or RECURRENT in training, QUADRATIC is the
     *     masked T×S reference (softmax always uses its masked scores)
     * @return (B, T, Dm)
     */
    public NDArray waitK(ParameterStore ps, NDArray x, NDArray source, NDArray sourceMask, long k, Form form,
            boolean training) {
        Checks.rank("decoder states", x, 3, "(B, T, Dm)");
        Checks.rank("source states", source, 3, "(B, S, Dm)");
        try (NDArray q = heads(ps, query, x, training); NDArray kk = heads(ps, key, source, training);
                NDArray v = heads(ps, value, source, training)) {
            NDArray o;
            if (core instanceof SoftmaxAttention sa) {
                o = WaitK.softmax(q, kk, v, sourceMask, k, scale(sa));
            } else {
                LinearAttention la = (LinearAttention) core;
                FeatureMap fm = la.featureMap(ps, training, false);
                try (NDArray fq = fm.queries(q, 0); NDArray fk = fm.keys(kk, 0)) {
                    o = form == Form.QUADRATIC ? WaitK.linearQuadratic(fq, fk, v, sourceMask, k, la.spec())
                            : WaitK.linear(form, fq, fk, v, sourceMask, k, la.spec());
                }
            }
            try (o) {
                return merge(ps, o, training);
            }
        }
    }

    /**
     * Streaming: the source state with new encoder outputs added.
     *
     * @param state the source so far, or null
     * @param source the new encoder outputs (B, N, Dm)
     * @return a new state on {@code manager} (the old one stays valid; the caller closes both)
     */
    public Source extend(ParameterStore ps, NDManager manager, Source state, NDArray source) {
        Checks.rank("source states", source, 3, "(B, N, Dm)");
        try (NDArray kk = heads(ps, key, source, false); NDArray v = heads(ps, value, source, false)) {
            if (core instanceof LinearAttention la) {
                FeatureMap fm = la.featureMap(ps, false, false);
                try (NDArray fk = fm.keys(kk, 0)) {
                    LinearState next = LinearForms.extend(state == null ? null : state.linear, fk, v, null, la.spec());
                    if (state == null) { // a first state hangs from the inputs' manager: move it to the caller's
                        try (LinearState first = next) {
                            next = first.copy(manager);
                        }
                    }
                    return new Source(next, null, null);
                }
            }
            // copies that keep the graph (duplicate() would cut it), like the concatenations
            NDArray keys = state == null ? Scalars.copy(kk) : NDArrays.concat(new NDList(state.keys, kk), 2);
            NDArray values = state == null ? Scalars.copy(v) : NDArrays.concat(new NDList(state.values, v), 2);
            keys.attach(manager);
            values.attach(manager);
            return new Source(null, keys, values);
        }
    }

    /**
     * Streaming: new target tokens read the whole source state as it is.
     *
     * @param x decoder states (B, N, Dm)
     * @return (B, N, Dm)
     */
    public NDArray read(ParameterStore ps, Source state, NDArray x) {
        Checks.require(state != null, "source state", "a state from extend (read a source token first)", "null");
        try (NDArray q = heads(ps, query, x, false)) {
            NDArray o;
            if (core instanceof LinearAttention la) {
                FeatureMap fm = la.featureMap(ps, false, false);
                try (NDArray fq = fm.queries(q, 0)) {
                    o = LinearForms.read(state.linear, fq, la.spec());
                }
            } else {
                SoftmaxAttention sa = (SoftmaxAttention) core;
                o = WaitK.softmax(q, state.keys, state.values, null, WaitK.OFFLINE, scale(sa));
            }
            try (o) {
                return merge(ps, o, false);
            }
        }
    }

    /**
     * The weights each target token gives the source tokens it reads, (B, H, T, S) (zero for unread
     * ones), for inspection.
     */
    public NDArray weights(ParameterStore ps, NDArray x, NDArray source, NDArray sourceMask, long k) {
        try (NDManager scope = x.getManager().newSubManager()) {
            NDArray q = heads(ps, query, x, false);
            NDArray kk = heads(ps, key, source, false);
            q.attach(scope);
            kk.attach(scope);
            long s = kk.getShape().get(2);
            long t = q.getShape().get(2);
            NDArray eye = scope.eye((int) s).reshape(1, 1, s, s).broadcast(new Shape(kk.getShape().get(0),
                    config.heads(), s, s));
            // attention over an identity "value" per source token gives the weights themselves
            NDArray w;
            if (core instanceof SoftmaxAttention sa) {
                w = WaitK.softmax(q, kk, eye, sourceMask, k, scale(sa));
            } else {
                LinearAttention la = (LinearAttention) core;
                FeatureMap fm = la.featureMap(ps, false, false);
                NDArray fq = fm.queries(q, 0);
                NDArray fk = fm.keys(kk, 0);
                fq.attach(scope);
                fk.attach(scope);
                w = WaitK.linearQuadratic(fq, fk, eye, sourceMask, k, la.spec());
            }
            w.attach(x.getManager());
            Checks.require(w.getShape().get(2) == t, "weights", "T rows", w.getShape());
            return w;
        }
    }

    /** The softmax scale: the core's, or 1/√D by default. */
    private double scale(SoftmaxAttention sa) {
        return sa.scale() != null ? sa.scale() : 1.0 / Math.sqrt(config.headDim());
    }

    private NDArray heads(ParameterStore ps, Linear proj, NDArray x, boolean training) {
        return MultiHeadAttention.heads(ps, proj, x, config, training);
    }

    private NDArray merge(ParameterStore ps, NDArray o, boolean training) {
        return MultiHeadAttention.merge(ps, out, o, training);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray mask = inputs.size() > 2 ? inputs.get(2) : null;
        return new NDList(waitK(ps, inputs.get(0), inputs.get(1), mask, WaitK.OFFLINE, Form.CHUNKED, training));
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
        BlockVersions.require("CrossAttention", VERSION, loadVersion);
        readInputShapes(is); // what AbstractBaseBlock.saveMetadata wrote after the version
    }

    /**
     * The source a streaming decoder has read so far, in one cross-attention layer: a linear state
     * (constant size) or, for softmax, the keys and values (growing by one row per source token).
     */
    public static final class Source implements AutoCloseable {
        private final LinearState linear;
        private final NDArray keys;
        private final NDArray values;

        private Source(LinearState linear, NDArray keys, NDArray values) {
            this.linear = linear;
            this.keys = keys;
            this.values = values;
        }

        /** The linear state, or null for softmax. */
        public LinearState linear() {
            return linear;
        }

        /** Source tokens read. */
        public long length() {
            return linear != null ? linear.length() : keys.getShape().get(2);
        }

        /** Bytes this state holds: constant for linear attention, growing for softmax. */
        public long bytes() {
            if (linear != null) {
                return (linear.s().size() + linear.z().size()) * linear.s().getDataType().getNumOfBytes();
            }
            return (keys.size() + values.size()) * keys.getDataType().getNumOfBytes();
        }

        @Override
        public void close() {
            if (linear != null) {
                linear.close();
            } else {
                keys.close();
                values.close();
            }
        }
    }
}
