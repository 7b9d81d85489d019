package org.leapformer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.List;
import org.leapformer.nn.AttentionCore;
import org.leapformer.nn.AttentionKind;
import org.leapformer.nn.FusedRecurrent;
import org.leapformer.nn.LinearAttention;
import org.leapformer.nn.SoftmaxAttention;
import org.leapformer.ops.Checks;

/**
 * The decoding step of a {@link DecoderLM} computed on the JVM: the fused recurrent path, as
 * flash-linear-attention keeps a {@code fused_recurrent} kernel beside {@code chunk} and
 * {@code naive}. One token through a small model is a few hundred thousand multiply-adds; done as
 * libtorch calls it costs a hundred native calls per layer, done here it costs none.
 *
 * <p>The weights are copied once when the decoder is made (a snapshot: train on, then make a new
 * one). A {@link State} holds each layer's running sums S (H, F, Dv) and z (H, F) in float32 (a
 * softmax layer: its keys and values so far). The mathematics is the library's, term for term:
 * pre-norm layers, LeaP / cosFormer / ReLU features, the clamped normaliser, exact GELU; tests
 * check it against the recurrent form of the model. Batch size 1, CPU parameters of type float32
 * or float64 ({@link #supports}).
 */
public final class JvmDecoder {

    private final ModelConfig config;
    private final int dm;
    private final int heads;
    private final int d;
    private final float[] tokens; // (V, Dm)
    private final float[] positions; // (maxLength, Dm) or null
    private final Layer[] layers;
    private final float[] normGamma;
    private final float[] normBeta;
    private final float[] head; // (V, Dm): the token table when tied

    /** A layer's weights. */
    private static final class Layer {
        float[] ln1g;
        float[] ln1b;
        float[] ln2g;
        float[] ln2b;
        float[][] w = new float[4][]; // q, k, v, out: (units, in)
        float[][] b = new float[4][];
        float[] ff1w;
        float[] ff1b;
        float[] ff2w;
        float[] ff2b;
        AttentionKind kind;
        FusedRecurrent linear; // linear attention
        double scale; // softmax
    }

    private JvmDecoder(DecoderLM lm) {
        config = lm.config();
        dm = config.dModel();
        heads = config.heads();
        d = config.headDim();
        Backbone bb = lm.backbone();
        tokens = values(bb.embeddings().tokenParameter());
        positions = bb.embeddings().positionParameter() == null ? null : values(bb.embeddings().positionParameter());
        layers = new Layer[config.layers()];
        for (int i = 0; i < layers.length; i++) {
            TransformerLayer t = bb.layer(i);
            Layer l = new Layer();
            l.ln1g = param(t.norm1(), "gamma");
            l.ln1b = param(t.norm1(), "beta");
            l.ln2g = param(t.norm2(), "gamma");
            l.ln2b = param(t.norm2(), "beta");
            ai.djl.nn.core.Linear[] p = t.attention().projections();
            for (int j = 0; j < 4; j++) {
                l.w[j] = param(p[j], "weight");
                l.b[j] = param(p[j], "bias");
            }
            l.ff1w = param(t.ff1(), "weight");
            l.ff1b = param(t.ff1(), "bias");
            l.ff2w = param(t.ff2(), "weight");
            l.ff2b = param(t.ff2(), "bias");
            AttentionCore<?> core = t.attention().core();
            l.kind = core.kind();
            if (core instanceof LinearAttention la) {
                l.linear = FusedRecurrent.of(la, heads, d,
                        l.kind == AttentionKind.COSFORMER ? (long) config.maxLength() : null);
            } else {
                Double s = ((SoftmaxAttention) core).scale();
                l.scale = s != null ? s : 1.0 / Math.sqrt(d);
            }
            layers[i] = l;
        }
        normGamma = param(bb.finalNorm(), "gamma");
        normBeta = param(bb.finalNorm(), "beta");
        head = lm.headLinear() == null ? tokens : param(lm.headLinear(), "weight");
    }

    /** Whether a model can decode here: its parameters are on the CPU, in float32 or float64. */
    public static boolean supports(DecoderLM lm) {
        if (lm.config().kind() == org.leapformer.nn.AttentionKind.COSFORMER
                && lm.config().cosformerLength() != org.leapformer.nn.CosformerLength.CAPPED) {
            return false; // the fused path knows cosFormer's N = maxLength only as a cap
        }
        for (var p : lm.getParameters()) {
            NDArray a = p.getValue().getArray();
            if (!a.getDevice().equals(Device.cpu())
                    || (a.getDataType() != DataType.FLOAT32 && a.getDataType() != DataType.FLOAT64)) {
                return false;
            }
        }
        return true;
    }

    /**
     * A decoder with a snapshot of the model's weights.
     *
     * @throws IllegalArgumentException when {@link #supports} is false
     */
    public static JvmDecoder of(DecoderLM lm) {
        Checks.require(supports(lm), "model for the JVM decoder", "parameters on the CPU in float32 or float64 "
                + "(and a cosFormer with CosformerLength.CAPPED)", "parameters elsewhere or another cosFormer length "
                + "(use DecoderLM.newSession)");
        return new JvmDecoder(lm);
    }

    private static float[] param(Block block, String name) {
        Parameter p = block.getParameters().get(name);
        Checks.require(p != null, "parameter of " + block.getClass().getSimpleName(), name, block.getParameters().keys());
        return values(p);
    }

    private static float[] values(Parameter p) {
        return values(p.getArray());
    }

    private static float[] values(NDArray a) {
        if (a.getDataType() == DataType.FLOAT32) {
            return a.toFloatArray();
        }
        try (NDArray f = a.toType(DataType.FLOAT32, false)) {
            return f.toFloatArray();
        }
    }

    /**
     * Generates tokens after a prompt from a fresh state, as {@link DecoderLM#generate} does on the
     * CPU. The decoder is read-only once made: several threads may call this (and {@link #step} on
     * states of their own) at once.
     *
     * @param prompt token ids, at least one
     * @param maxNewTokens how many tokens to add (prompt + new within the model's length limit)
     * @param sampling how each token is picked (a new picker per call: seeded draws repeat)
     * @return the new tokens
     * @throws IllegalArgumentException for an empty prompt, ids outside the vocabulary, or a length
     *     past the model's limit
     */
    public int[] generate(int[] prompt, int maxNewTokens, Sampling sampling) {
        checkGeneration(config, prompt, maxNewTokens);
        Sampling.Picker picker = sampling.picker();
        int[] out = new int[maxNewTokens];
        if (maxNewTokens == 0) {
            return out;
        }
        State state = newState();
        float[] last = null;
        for (int id : prompt) {
            last = step(state, id);
        }
        for (int t = 0; t < maxNewTokens; t++) {
            out[t] = picker.pick(last);
            if (t + 1 < maxNewTokens) {
                last = step(state, out[t]);
            }
        }
        return out;
    }

    /** The arguments of a generation: a prompt of known ids, and prompt + new within the model's length limit. */
    static void checkGeneration(ModelConfig config, int[] prompt, int maxNewTokens) {
        Checks.require(prompt != null && prompt.length > 0, "prompt", "at least one token", prompt == null ? "null" : 0);
        Checks.ids("prompt", prompt, config.vocabSize(), "the vocabulary");
        Checks.require(maxNewTokens >= 0, "new tokens", "a count >= 0", maxNewTokens);
        Checks.require(prompt.length + (long) maxNewTokens <= config.lengthLimit(), "new tokens",
                "prompt + new <= " + config.lengthLimit() + " (" + config.lengthLimitReason() + ")",
                prompt.length + " + " + maxNewTokens);
    }

    /** An empty decoding state (position 0). */
    public State newState() {
        return new State();
    }

    /**
     * Where decoding stands: per layer, linear attention's S (H × F × Dv) and z (H × F), or
     * softmax's keys and values so far. Copy it to try two continuations ({@link #copy}).
     */
    public final class State {
        private long position;
        private final FusedRecurrent.State[] linear = new FusedRecurrent.State[layers.length];
        private final List<List<float[]>> keys = new ArrayList<>();
        private final List<List<float[]>> values = new ArrayList<>();

        private State() {
            for (int i = 0; i < layers.length; i++) {
                if (layers[i].linear != null) {
                    linear[i] = layers[i].linear.newState();
                }
                keys.add(new ArrayList<>());
                values.add(new ArrayList<>());
            }
        }

        /** Tokens consumed. */
        public long position() {
            return position;
        }

        /** An independent copy. */
        public State copy() {
            State c = new State();
            c.position = position;
            for (int i = 0; i < layers.length; i++) {
                if (linear[i] != null) {
                    c.linear[i] = linear[i].copy();
                }
                c.keys.get(i).addAll(keys.get(i));
                c.values.get(i).addAll(values.get(i));
            }
            return c;
        }
    }

    /**
     * Feeds one token and returns the next-token logits (V values).
     *
     * @throws IllegalArgumentException for an id outside the vocabulary or a position past the
     *     model's length limit
     */
    public float[] step(State st, int token) {
        Checks.require(token >= 0 && token < config.vocabSize(), "token", "an id in [0, " + config.vocabSize() + ")",
                token);
        Checks.require(st.position < config.lengthLimit(), "sequence length", "at most " + config.lengthLimit()
                + " tokens (" + config.lengthLimitReason() + ")", "position " + (st.position + 1));
        long pos = st.position;
        float[] x = new float[dm];
        System.arraycopy(tokens, token * dm, x, 0, dm);
        if (config.positions() == Positions.LEARNED) {
            for (int i = 0; i < dm; i++) {
                x[i] += positions[(int) pos * dm + i];
            }
        } else if (config.positions() == Positions.SINUSOIDAL) {
            double a = Embeddings.SINUSOID_AMPLITUDE;
            for (int i = 0; i < dm / 2; i++) {
                double angle = pos / Math.pow(10000.0, 2.0 * i / dm);
                x[2 * i] += (float) (a * Math.sin(angle));
                x[2 * i + 1] += (float) (a * Math.cos(angle));
            }
        }
        int inner = heads * d;
        float[] h = new float[dm];
        float[] q = new float[inner];
        float[] k = new float[inner];
        float[] v = new float[inner];
        float[] o = new float[inner];
        float[] y = new float[dm];
        for (int li = 0; li < layers.length; li++) {
            Layer l = layers[li];
            layerNorm(x, l.ln1g, l.ln1b, h);
            linear(l.w[0], l.b[0], h, q);
            linear(l.w[1], l.b[1], h, k);
            linear(l.w[2], l.b[2], h, v);
            if (l.linear != null) {
                l.linear.step(st.linear[li], q, k, v, o);
            } else {
                for (int hd = 0; hd < heads; hd++) {
                    softmaxHead(st, li, l, hd, q, k, v, o);
                }
            }
            linear(l.w[3], l.b[3], o, y);
            for (int i = 0; i < dm; i++) {
                x[i] += y[i];
            }
            layerNorm(x, l.ln2g, l.ln2b, h);
            float[] u = new float[l.ff1b.length];
            linear(l.ff1w, l.ff1b, h, u);
            for (int i = 0; i < u.length; i++) {
                u[i] = gelu(u[i]);
            }
            linear(l.ff2w, l.ff2b, u, y);
            for (int i = 0; i < dm; i++) {
                x[i] += y[i];
            }
        }
        layerNorm(x, normGamma, normBeta, h);
        float[] logits = new float[config.vocabSize()];
        linear(head, null, h, logits);
        st.position++;
        return logits;
    }

    /** One head of softmax attention over the keys so far and this one. */
    private void softmaxHead(State st, int li, Layer l, int hd, float[] q, float[] k, float[] v, float[] o) {
        List<float[]> ks = st.keys.get(li);
        List<float[]> vs = st.values.get(li);
        if (hd == 0) {
            ks.add(k.clone());
            vs.add(v.clone());
        }
        int n = ks.size();
        double[] w = new double[n];
        double max = Double.NEGATIVE_INFINITY;
        for (int t = 0; t < n; t++) {
            float[] kt = ks.get(t);
            double dot = 0;
            for (int i = 0; i < d; i++) {
                dot += q[hd * d + i] * kt[hd * d + i];
            }
            w[t] = dot * l.scale;
            max = Math.max(max, w[t]);
        }
        double total = 0;
        for (int t = 0; t < n; t++) {
            w[t] = Math.exp(w[t] - max);
            total += w[t];
        }
        for (int j = 0; j < d; j++) {
            double acc = 0;
            for (int t = 0; t < n; t++) {
                acc += w[t] * vs.get(t)[hd * d + j];
            }
            o[hd * d + j] = (float) (acc / total);
        }
    }

    /** out = W x + b with W (units, in) row-major. */
    private static void linear(float[] w, float[] b, float[] x, float[] out) {
        int in = x.length;
        for (int u = 0; u < out.length; u++) {
            float acc = b == null ? 0 : b[u];
            int row = u * in;
            for (int i = 0; i < in; i++) {
                acc += w[row + i] * x[i];
            }
            out[u] = acc;
        }
    }

    private static void layerNorm(float[] x, float[] gamma, float[] beta, float[] out) {
        double mean = 0;
        for (float f : x) {
            mean += f;
        }
        mean /= x.length;
        double var = 0;
        for (float f : x) {
            var += (f - mean) * (f - mean);
        }
        var /= x.length;
        double inv = 1 / Math.sqrt(var + 1e-5);
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) ((x[i] - mean) * inv * gamma[i] + beta[i]);
        }
    }

    /** Exact GELU, x·Φ(x), as libtorch's default. */
    private static float gelu(float x) {
        return (float) (0.5 * x * (1 + erf(x / Math.sqrt(2))));
    }

    /** erf through the Chebyshev fit of erfc in Numerical Recipes (fractional error below 1.2e-7). */
    static double erf(double x) {
        double t = 1 / (1 + 0.5 * Math.abs(x));
        double y = 1 - t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223
                + t * 0.17087277)))))))));
        return x >= 0 ? y : -y;
    }
}
