package org.leapformer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.leapformer.ops.Checks;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter, ICLR 2019), as PyTorch's AdamW:
 *
 * <pre>
 *   m = β1 m + (1 − β1) g,   v = β2 v + (1 − β2) g²
 *   w = w · (1 − lr·λ)                              (weights only)
 *   w = w − lr · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε)
 * </pre>
 *
 * Its moments are plain arrays keyed by parameter name, so a checkpoint can store them and a
 * resumed run continues bit for bit (DJL's optimizers keep theirs private). Updates run outside
 * autograd, in place: float32 PyTorch parameters in one fused native call each (libtorch's Adam
 * kernel, with the bias corrections folded into its step size and ε), others op by op.
 */
public final class AdamW implements AutoCloseable {

    private final NDManager manager;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final double weightDecay;
    private final Map<String, NDArray[]> moments = new LinkedHashMap<>();
    private long updates;

    /**
     * @param manager the moments hang from a sub-manager of it (use the parameters' manager)
     */
    public AdamW(NDManager manager, double beta1, double beta2, double epsilon, double weightDecay) {
        this.manager = manager.newSubManager();
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.weightDecay = weightDecay;
    }

    /** Number of completed optimizer steps t. */
    public long updates() {
        return updates;
    }

    /** Starts step t + 1; call {@link #update} for every parameter, then nothing else is needed. */
    public void beginStep() {
        updates++;
    }

    /**
     * Updates one parameter in place.
     *
     * @param name stable parameter name (moments are keyed by it)
     * @param weight the parameter's array
     * @param grad its gradient (not modified)
     * @param lr learning rate of this step
     * @param gradScale factor applied to the gradient first (gradient clipping)
     */
    public void update(String name, Parameter.Type type, NDArray weight, NDArray grad, double lr, double gradScale) {
        Checks.require(updates > 0, "AdamW", "beginStep() before update", "no step begun");
        NDArray[] mv = moments.computeIfAbsent(name, k -> new NDArray[] {zerosLike(weight), zerosLike(weight)});
        NDArray m = mv[0];
        NDArray v = mv[1];
        double bc1 = 1 - Math.pow(beta1, updates);
        double bc2 = 1 - Math.pow(beta2, updates);
        double decay = weightDecay > 0 && type == Parameter.Type.WEIGHT ? weightDecay : 0.0;
        if (fusable(weight, grad, m, v)) {
            // one native call instead of a dozen: libtorch computes
            //   w −= w·lr·λ;  m = β1 m + (1 − β1) s·g;  v = β2 v + (1 − β2) (s·g)²;  w −= m·a / (√v + e)
            // and with a = lr·√bc2 / bc1 and e = ε·√bc2 that last step is exactly
            //   w −= lr · (m / bc1) / (√(v / bc2) + ε)
            boolean gradMode = JniUtils.isGradMode();
            JniUtils.setGradMode(false); // in-place updates of parameters that autograd tracks
            try {
                JniUtils.adamUpdate((PtNDArray) weight, (PtNDArray) grad, (PtNDArray) m, (PtNDArray) v, (float) lr,
                        (float) (lr * Math.sqrt(bc2) / bc1), (float) decay, (float) gradScale, -1f, (float) beta1,
                        (float) beta2, (float) (epsilon * Math.sqrt(bc2)), true);
            } finally {
                JniUtils.setGradMode(gradMode);
            }
            return;
        }
        try (NDArray g = gradScale == 1.0 ? grad.duplicate() : grad.mul(gradScale)) {
            m.muli(beta1);
            try (NDArray gm = g.mul(1 - beta1)) {
                m.addi(gm);
            }
            v.muli(beta2);
            try (NDArray g2 = g.square(); NDArray gv = g2.muli(1 - beta2)) {
                v.addi(gv);
            }
        }
        if (decay > 0) {
            weight.muli(1 - lr * decay);
        }
        try (NDArray root = v.sqrt(); NDArray denom = root.divi(Math.sqrt(bc2)); NDArray d = denom.addi(epsilon);
                NDArray step = m.div(d); NDArray scaled = step.muli(lr / bc1)) {
            weight.subi(scaled);
        }
    }

    /**
     * Whether libtorch's fused Adam update applies: PyTorch arrays of one float32 type on one
     * device (its scalars are floats, so double-precision weights take the general path).
     */
    private static boolean fusable(NDArray weight, NDArray grad, NDArray m, NDArray v) {
        if (!(weight instanceof PtNDArray && grad instanceof PtNDArray && m instanceof PtNDArray
                && v instanceof PtNDArray)) {
            return false;
        }
        return weight.getDataType() == DataType.FLOAT32 && grad.getDataType() == DataType.FLOAT32
                && grad.getDevice().equals(weight.getDevice()) && grad.getShape().equals(weight.getShape());
    }

    private NDArray zerosLike(NDArray w) {
        NDArray z = manager.zeros(w.getShape(), w.getDataType(), w.getDevice());
        z.attach(manager);
        return z;
    }

    /** Writes t and every moment (bit-exact). */
    void save(DataOutputStream out) throws IOException {
        out.writeLong(updates);
        out.writeInt(moments.size());
        for (Map.Entry<String, NDArray[]> e : moments.entrySet()) {
            out.writeUTF(e.getKey());
            StoredArray.write(out, e.getValue()[0]);
            StoredArray.write(out, e.getValue()[1]);
        }
    }

    /**
     * Reads what {@link #save} wrote, replacing this optimizer's state.
     *
     * @param weights the model's parameters by name, to check shapes and place the moments
     */
    void load(DataInputStream in, Map<String, NDArray> weights) throws IOException {
        long t = in.readLong();
        int n = in.readInt();
        Checks.require(t >= 0 && n >= 0 && n <= weights.size(), "optimizer state",
                "a step count >= 0 and at most " + weights.size() + " moment pairs", "t=" + t + ", " + n + " pairs");
        Map<String, NDArray[]> loaded = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            String name = in.readUTF();
            NDArray w = weights.get(name);
            Checks.require(w != null, "optimizer moment", "a parameter of the model " + weights.keySet(), name);
            StoredArray sm = StoredArray.read(in);
            StoredArray sv = StoredArray.read(in);
            NDArray m = zerosLike(w);
            NDArray v = zerosLike(w);
            sm.copyInto(m, "first moment of " + name);
            sv.copyInto(v, "second moment of " + name);
            loaded.put(name, new NDArray[] {m, v});
        }
        for (NDArray[] mv : moments.values()) {
            mv[0].close();
            mv[1].close();
        }
        moments.clear();
        moments.putAll(loaded);
        updates = t;
    }

    @Override
    public void close() {
        manager.close();
    }
}
