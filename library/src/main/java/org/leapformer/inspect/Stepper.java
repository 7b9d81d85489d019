package org.leapformer.inspect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.leapformer.model.DecoderLM;
import org.leapformer.model.LayerProbe;
import org.leapformer.model.Sampling;
import org.leapformer.ops.Checks;
import org.leapformer.ops.Form;

/**
 * Steps a causal language model through the recurrent form one token at a time and records, at
 * every step, the next-token logits and for each layer and head what the attention did
 * ({@link LayerStep}: proportions, state norms, denominator, attention row, output).
 *
 * <pre>
 *   try (Stepper s = Stepper.of(lm, manager, true)) {     // true: keep past keys for attention rows
 *       Step a = s.step(token);                           // logits and one LayerStep per layer
 *       try (Stepper other = s.fork()) { ... }            // an independent continuation
 *   }
 * </pre>
 *
 * Memory per step is constant unless past keys are kept (then the key features grow by one row
 * per token and layer). A session with sinusoidal or no positions steps past the training window
 * without limit. The stepper owns a sub-manager: close it when done. Batch size 1.
 */
public final class Stepper implements AutoCloseable {

    private final DecoderLM lm;
    private final NDManager manager;
    private final DecoderLM.Session session;
    private final boolean keepKeys;
    private final NDArray[] keys;
    private Step last;

    private Stepper(DecoderLM lm, NDManager parent, boolean keepKeys, Stepper from) {
        this.lm = lm;
        this.manager = parent.newSubManager();
        this.keepKeys = keepKeys;
        this.keys = new NDArray[lm.config().layers()];
        if (from == null) {
            session = lm.newSession(manager, 1);
        } else {
            session = from.session.fork(manager);
            for (int i = 0; i < keys.length; i++) {
                if (from.keys[i] != null) {
                    keys[i] = from.keys[i].duplicate();
                    keys[i].attach(manager);
                }
            }
            last = from.last;
        }
    }

    /** A stepper at position 0 that does not keep past keys (constant memory per step). */
    public static Stepper of(DecoderLM lm, NDManager parent) {
        return of(lm, parent, false);
    }

    /**
     * A stepper at position 0.
     *
     * @param keepKeys whether to keep every past token's key features, so each step can give the
     *     attention row over all past tokens (memory grows by one row per token; softmax keeps its
     *     keys in its cache anyway)
     */
    public static Stepper of(DecoderLM lm, NDManager parent, boolean keepKeys) {
        Checks.require(lm != null, "model", "a DecoderLM", "null");
        return new Stepper(lm, parent, keepKeys, null);
    }

    /**
     * An independent copy at the same point (states, kept keys and last step): stepping one leaves
     * the other as it was. Cheap: each layer's state is d×d per head.
     */
    public Stepper fork() {
        return new Stepper(lm, manager.getParentManager(), keepKeys, this);
    }

    /** Tokens fed so far (the position of the next one). */
    public long length() {
        return session.length();
    }

    public DecoderLM model() {
        return lm;
    }

    /** Whether past keys are kept for attention rows. */
    public boolean keepsKeys() {
        return keepKeys;
    }

    /** The record of the last token fed, or null before the first. */
    public Step last() {
        return last;
    }

    /**
     * Feeds the next token.
     *
     * @throws IllegalArgumentException for an id outside the vocabulary, or past the model's length
     *     limit (learned positions, cosFormer)
     */
    public Step step(int token) {
        Checks.ids("token", new int[] {token}, lm.config().vocabSize(), "the vocabulary");
        long position = session.length();
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager step = manager.newSubManager()) {
            NDArray ids = step.create(new long[] {token}, new Shape(1, 1));
            int layers = lm.config().layers();
            LayerStep[] records = new LayerStep[layers];
            NDArray[] q = new NDArray[layers];
            NDArray[] k = new NDArray[layers];
            NDArray[] o = new NDArray[layers];
            LayerProbe probe = new LayerProbe() {
                @Override
                public void attention(int layer, long offset, NDArray qq, NDArray kk, NDArray vv, NDArray out) {
                    q[layer] = Trace.keep(step, qq);
                    k[layer] = Trace.keep(step, kk);
                    o[layer] = Trace.keep(step, out);
                }
            };
            float[] logits;
            try (NDArray l = session.feed(ids, Form.RECURRENT, probe); NDArray f = l.toType(DataType.FLOAT32, false)) {
                logits = f.toFloatArray();
            }
            for (int i = 0; i < layers; i++) {
                var core = lm.layers().get(i).attention().core();
                if (keepKeys) {
                    keys[i] = StepRecords.appendKeys(core, keys[i], k[i], position, manager);
                }
                records[i] = StepRecords.record(i, core, position, q[i], k[i], o[i], session.state(i), keys[i]);
            }
            last = new Step(position, token, logits, List.of(records));
            return last;
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /** Feeds tokens one at a time; one record per token. */
    public List<Step> feed(int... tokens) {
        Checks.require(tokens != null && tokens.length > 0, "tokens", "at least one", tokens == null ? "null" : 0);
        List<Step> out = new ArrayList<>();
        for (int t : tokens) {
            out.add(step(t));
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * Generates {@code n} tokens after what was fed, each picked from the last step's logits and
     * fed back; returns their records.
     *
     * @throws IllegalStateException before the first token (there are no logits to pick from)
     */
    public List<Step> generate(int n, Sampling sampling) {
        Checks.require(n >= 0, "tokens to generate", "a count >= 0", n);
        if (last == null) {
            throw new IllegalStateException("generate: expected a stepper that has been fed a prompt, found none "
                    + "(feed at least one token first)");
        }
        Sampling.Picker picker = sampling.picker();
        List<Step> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(step(picker.pick(last.logits())));
        }
        return Collections.unmodifiableList(out);
    }

    @Override
    public void close() {
        session.close();
        manager.close();
    }

    @Override
    public String toString() {
        return "Stepper(" + lm.config().kind() + ", position " + length() + (keepKeys ? ", keeping keys" : "") + ")";
    }

    /**
     * One token's step.
     *
     * @param position the token's position (0-based)
     * @param token its id
     * @param logits the next-token logits after it (V values)
     * @param layers one record per layer
     */
    public record Step(long position, int token, float[] logits, List<LayerStep> layers) {

        /**
         * Layer {@code i}'s record.
         *
         * @throws IllegalArgumentException naming the valid range
         */
        public LayerStep layer(int i) {
            Checks.require(i >= 0 && i < layers.size(), "layer index", "0.." + (layers.size() - 1), i);
            return layers.get(i);
        }

        /** One line: position, token, the most likely next token and the layer count (not the logits). */
        @Override
        public String toString() {
            return "Step(position " + position + ", token " + token + ", next argmax " + argmax() + ", " + layers.size()
                    + " layers)";
        }

        /** The most likely next token. */
        public int argmax() {
            int best = 0;
            for (int i = 1; i < logits.length; i++) {
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            return best;
        }
    }
}
