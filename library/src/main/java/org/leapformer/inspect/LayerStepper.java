package org.leapformer.inspect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.leapformer.nn.AttentionCore;
import org.leapformer.nn.LinearAttention;
import org.leapformer.ops.AttentionOutput;
import org.leapformer.ops.AttentionState;
import org.leapformer.ops.Checks;
import org.leapformer.ops.Form;

/**
 * Steps one attention layer (a {@link LinearAttention} or softmax core) through its recurrent
 * form one token at a time, recording a {@link LayerStep} per token. {@link #run} does a whole
 * sequence in one call:
 *
 * <pre>
 *   try (LayerStepper.Run r = LayerStepper.run(attention, q, k, v, true)) {
 *       r.output();            // (B, H, N, Dv), equal to the chunked and quadratic forms
 *       r.state();             // the final state
 *       r.steps().get(t);      // proportions, state norms, denominator, attention row of token t
 *   }
 * </pre>
 *
 * A stepper owns a sub-manager (its state, its kept keys): close it when done.
 */
public final class LayerStepper implements AutoCloseable {

    private final AttentionCore<AttentionState> core;
    private final NDManager manager;
    private final boolean keepKeys;
    private AttentionState state;
    private NDArray keys;

    @SuppressWarnings("unchecked")
    private LayerStepper(AttentionCore<?> core, NDManager parent, boolean keepKeys, AttentionState state,
            NDArray keys) {
        this.core = (AttentionCore<AttentionState>) core;
        this.manager = parent.newSubManager();
        this.keepKeys = keepKeys;
        this.state = state == null ? null : state.copy(manager);
        if (keys != null) {
            this.keys = keys.duplicate();
            this.keys.attach(manager);
        }
    }

    /**
     * A stepper at position 0.
     *
     * @param keepKeys whether to keep past key features for attention rows (memory grows per token)
     */
    public static LayerStepper of(AttentionCore<?> core, NDManager parent, boolean keepKeys) {
        Checks.require(core != null, "attention", "a LinearAttention or SoftmaxAttention", "null");
        return new LayerStepper(core, parent, keepKeys, null, null);
    }

    /** An independent copy at the same point. */
    public LayerStepper fork() {
        return new LayerStepper(core, manager.getParentManager(), keepKeys, state, keys);
    }

    /** Tokens stepped so far. */
    public long length() {
        return state == null ? 0 : state.length();
    }

    /** The state after the last token (owned by the stepper), or null before the first. */
    public AttentionState state() {
        return state;
    }

    /**
     * Steps one token: q, k (B, H, 1, D) and v (B, H, 1, Dv).
     *
     * @return the record and the output (B, H, 1, Dv) on the manager of q
     */
    public StepOutput step(NDArray q, NDArray k, NDArray v) {
        Checks.rank("q", q, 4, "(B, H, 1, D)");
        Checks.require(q.getShape().get(2) == 1, "q length", "one token (B, H, 1, D); use run for a sequence",
                "N=" + q.getShape().get(2));
        long position = length();
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            AttentionOutput<AttentionState> r = core.causal(new ParameterStore(q.getManager(), false), q, k, v, state,
                    Form.RECURRENT, false);
            if (state == null) { // the first state hangs from q's manager: the stepper keeps its own copy
                state = r.state().copy(manager);
                r.state().close();
            } else { // later ones hang where the previous one did
                state.close();
                state = r.state();
            }
            LayerStep record;
            try (NDManager scratch = manager.newSubManager()) {
                NDArray qs = Trace.keep(scratch, q);
                NDArray ks = Trace.keep(scratch, k);
                NDArray os = Trace.keep(scratch, r.output());
                if (keepKeys) {
                    keys = StepRecords.appendKeys(core, keys, ks, position, manager);
                }
                record = StepRecords.record(0, core, position, qs, ks, os, state, keys);
            }
            return new StepOutput(record, r.output());
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /**
     * A step's record and output.
     *
     * @param record what the layer did
     * @param output (B, H, 1, Dv), on the manager of the step's q
     */
    public record StepOutput(LayerStep record, NDArray output) {}

    /**
     * Steps a whole causal sequence token by token: the decoding form, with a record per token.
     *
     * @param q (B, H, N, D), likewise k; v (B, H, N, Dv)
     * @param keepKeys whether records carry attention rows over all past tokens
     */
    public static Run run(AttentionCore<?> core, NDArray q, NDArray k, NDArray v, boolean keepKeys) {
        Checks.qkv(q, k, v, true);
        long n = q.getShape().get(2);
        Checks.require(n > 0, "sequence length", "at least one token", "N=0");
        NDManager m = q.getManager().newSubManager();
        LayerStepper stepper = new LayerStepper(core, m, keepKeys, null, null);
        List<LayerStep> steps = new ArrayList<>();
        NDList outs = new NDList();
        try (NDManager scratch = m.newSubManager()) {
            for (long t = 0; t < n; t++) {
                try (NDManager step = scratch.newSubManager()) {
                    NDIndex at = new NDIndex(":, :, {}:{}", t, t + 1);
                    NDArray qt = q.get(at);
                    NDArray kt = k.get(at);
                    NDArray vt = v.get(at);
                    qt.attach(step);
                    kt.attach(step);
                    vt.attach(step);
                    StepOutput o = stepper.step(qt, kt, vt);
                    o.output().attach(scratch);
                    outs.add(o.output());
                    steps.add(o.record());
                }
            }
            NDArray output = NDArrays.concat(outs, 2);
            output.attach(m);
            return new Run(m, stepper, output, Collections.unmodifiableList(steps));
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** A whole sequence stepped: the output, the final state and a record per token; close it when done. */
    public static final class Run implements AutoCloseable {
        private final NDManager manager;
        private final LayerStepper stepper;
        private final NDArray output;
        private final List<LayerStep> steps;

        private Run(NDManager manager, LayerStepper stepper, NDArray output, List<LayerStep> steps) {
            this.manager = manager;
            this.stepper = stepper;
            this.output = output;
            this.steps = steps;
        }

        /** (B, H, N, Dv). */
        public NDArray output() {
            return output;
        }

        /** The state after the last token (a {@code LinearState} or a {@code KvCache}). */
        public AttentionState state() {
            return stepper.state();
        }

        /** One record per token. */
        public List<LayerStep> steps() {
            return steps;
        }

        /**
         * Token {@code t}'s record.
         *
         * @throws IllegalArgumentException naming the valid range
         */
        public LayerStep step(int t) {
            Checks.require(t >= 0 && t < steps.size(), "token index", "0.." + (steps.size() - 1), t);
            return steps.get(t);
        }

        /** A stepper continuing after the last token (independent of this run). */
        public LayerStepper continuation(NDManager parent) {
            return new LayerStepper(stepper.core, parent, stepper.keepKeys, stepper.state, stepper.keys);
        }

        @Override
        public void close() {
            stepper.close();
            manager.close();
        }
    }

    @Override
    public void close() {
        manager.close();
    }

    @Override
    public String toString() {
        return "LayerStepper(" + core.kind() + ", position " + length() + (keepKeys ? ", keeping keys" : "") + ")";
    }
}
