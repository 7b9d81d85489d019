package org.leapformer.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.leapformer.ops.Checks;
import org.leapformer.ops.LinearState;

/**
 * The recurrent form of a {@link LinearAttention} for one sequence, computed on the JVM: the
 * fused recurrent kernel beside the chunked and quadratic forms (as flash-linear-attention's
 * {@code fused_recurrent}). A decoded token is a few thousand multiply-adds per head; as libtorch
 * calls it is dozens of native calls, here none.
 *
 * <pre>
 *   φ(x) = [sin(π/2·p)·relu(x), cos(π/2·p)·relu(x)]      p = P(relu(x)) (LeaP), (t+1)/N (cosFormer)
 *   S += φ(k) vᵀ,  z += φ(k)                              per head, float32
 *   out = φ(q)ᵀ S / max(φ(q)·z, clamp)                    (no clamp: 0/0 gives 0)
 * </pre>
 *
 * The LeaP weights are copied when it is made (a snapshot). States convert to and from the
 * library's {@link LinearState}, so a prompt run through the chunked form continues here and back.
 */
public final class FusedRecurrent {

    private static final double HALF_PI = Math.PI / 2;

    private final AttentionKind kind;
    private final int heads;
    private final int d;
    private final int dv;
    private final int f;
    private final Double clamp;
    private final Long length;
    private final Leap leapQ;
    private final Leap leapK;

    /** A LeaP module's weights: h = 1 is sigmoid(W x + b), else sigmoid(W2 relu(W1 x + b1) + b2). */
    private record Leap(int hidden, float[] w1, float[] b1, float[] w2, float[] b2) {}

    private FusedRecurrent(LinearAttention a, int heads, int valueSize, Long length) {
        this.kind = a.kind();
        this.heads = heads;
        this.d = a.headDim();
        this.dv = valueSize;
        this.f = a.spec().blocks() * d;
        this.clamp = a.spec().clamp();
        this.length = length;
        this.leapQ = kind == AttentionKind.LEAP ? leap(a.queryModule()) : null;
        this.leapK = kind == AttentionKind.LEAP ? leap(a.keyModule()) : null;
    }

    /**
     * The fused recurrent form of an initialised attention.
     *
     * @param heads H
     * @param valueSize Dv
     * @param length cosFormer's N (its proportions are (t+1)/N); null otherwise
     */
    public static FusedRecurrent of(LinearAttention attention, int heads, int valueSize, Long length) {
        Checks.require(attention != null, "attention", "a LinearAttention", "null");
        Checks.require(heads > 0 && valueSize > 0, "heads and value size", "positive H and Dv", heads + ", " + valueSize);
        Checks.require(attention.kind() != AttentionKind.COSFORMER || length != null, "cosFormer length",
                "N (its proportions are i/N)", "none");
        return new FusedRecurrent(attention, heads, valueSize, length);
    }

    private static Leap leap(LeapModule m) {
        if (m.hidden() == 1) {
            return new Leap(1, values(m.weight("W")), values(m.weight("b")), null, null);
        }
        return new Leap(m.hidden(), values(m.weight("W1")), values(m.weight("b1")), values(m.weight("W2")),
                values(m.weight("b2")));
    }

    private static float[] values(NDArray a) {
        if (a.getDataType() == DataType.FLOAT32) {
            return a.toFloatArray();
        }
        try (NDArray c = a.toType(DataType.FLOAT32, false)) {
            return c.toFloatArray();
        }
    }

    /** The running sums of one sequence: S (H, F, Dv) and z (H, F), float32, and the position. */
    public static final class State {
        final float[] s;
        final float[] z;
        long position;

        private State(float[] s, float[] z, long position) {
            this.s = s;
            this.z = z;
            this.position = position;
        }

        /** Tokens consumed. */
        public long position() {
            return position;
        }

        /** An independent copy. */
        public State copy() {
            return new State(s.clone(), z.clone(), position);
        }
    }

    /** An empty state. */
    public State newState() {
        return new State(new float[heads * f * dv], new float[heads * f], 0);
    }

    /** A state holding a {@link LinearState} of one sequence (B = 1), e.g. after a chunked prompt. */
    public State fromState(LinearState state) {
        Checks.require(state.batchSize() == 1 && state.heads() == heads && state.featureSize() == f
                && state.valueSize() == dv, "state", "(B=1, H=" + heads + ", F=" + f + ", Dv=" + dv + ")", state);
        return new State(values(state.s()), values(state.z()), state.length());
    }

    /** The state as a {@link LinearState} hanging from {@code manager} (to continue in another form). */
    public LinearState toState(State st, NDManager manager) {
        NDArray s = manager.create(st.s.clone(), new Shape(1, heads, f, dv));
        NDArray z = manager.create(st.z.clone(), new Shape(1, heads, f));
        return LinearState.of(manager, s, z, st.position, f / d);
    }

    /**
     * One token: q and k (H·D values, head-major), v (H·Dv); writes the output (H·Dv).
     *
     * @throws IllegalArgumentException for arrays of the wrong length, non-finite inputs, or a cosFormer
     *     position past N
     */
    public void step(State st, float[] q, float[] k, float[] v, float[] out) {
        Checks.require(q.length == heads * d && k.length == heads * d, "q and k", heads * d + " values (H·D)",
                q.length + " and " + k.length);
        Checks.require(v.length == heads * dv && out.length == heads * dv, "v and out", heads * dv + " values (H·Dv)",
                v.length + " and " + out.length);
        Checks.require(length == null || st.position < length, "cosFormer positions", "at most N=" + length,
                "position " + (st.position + 1));
        float[] fq = new float[f];
        float[] fk = new float[f];
        for (int h = 0; h < heads; h++) {
            features(leapQ, q, h * d, st.position, fq);
            features(leapK, k, h * d, st.position, fk);
            int sBase = h * f * dv;
            int zBase = h * f;
            int vBase = h * dv;
            for (int i = 0; i < f; i++) {
                float fi = fk[i];
                if (fi != 0) {
                    int row = sBase + i * dv;
                    for (int j = 0; j < dv; j++) {
                        st.s[row + j] += fi * v[vBase + j];
                    }
                    st.z[zBase + i] += fi;
                }
            }
            float den = 0;
            for (int i = 0; i < f; i++) {
                den += fq[i] * st.z[zBase + i];
            }
            float norm = clamp != null ? Math.max(den, clamp.floatValue()) : den == 0 ? 1 : den;
            for (int j = 0; j < dv; j++) {
                out[vBase + j] = 0;
            }
            for (int i = 0; i < f; i++) {
                float fi = fq[i];
                if (fi != 0) {
                    int row = sBase + i * dv;
                    for (int j = 0; j < dv; j++) {
                        out[vBase + j] += fi * st.s[row + j];
                    }
                }
            }
            boolean finite = Float.isFinite(norm);
            for (int j = 0; j < dv; j++) {
                out[vBase + j] /= norm;
                finite &= Float.isFinite(out[vBase + j]);
            }
            if (!finite) {
                throw new Checks.NonFiniteException(kind + " fused recurrent attention: expected a finite output from "
                        + "finite inputs, found NaN or Inf in head " + h + " (products or running sums overflow "
                        + "float32: scale the inputs down)");
            }
        }
        st.position++;
    }

    /** φ of one head's D values at {@code from}, into {@code out} (F values). */
    private void features(Leap leap, float[] x, int from, long pos, float[] out) {
        if (kind == AttentionKind.RELU_LINEAR) {
            for (int i = 0; i < d; i++) {
                out[i] = Math.max(0f, x[from + i]);
            }
            return;
        }
        for (int i = 0; i < d; i++) {
            out[i] = Math.max(0f, x[from + i]);
        }
        double p = kind == AttentionKind.LEAP ? proportion(leap, out) : (pos + 1) / (double) length;
        float sin = (float) Math.sin(HALF_PI * p);
        float cos = (float) Math.cos(HALF_PI * p);
        for (int i = 0; i < d; i++) {
            float r = out[i];
            out[i] = sin * r;
            out[d + i] = cos * r;
        }
    }

    /** p = sigmoid(MLP(r)) over the first D values of r. */
    private double proportion(Leap m, float[] r) {
        if (m.hidden == 1) {
            double t = m.b1[0];
            for (int i = 0; i < d; i++) {
                t += m.w1[i] * r[i];
            }
            return 1 / (1 + Math.exp(-t));
        }
        double o = m.b2[0];
        for (int j = 0; j < m.hidden; j++) {
            double t = m.b1[j];
            int row = j * d;
            for (int i = 0; i < d; i++) {
                t += m.w1[row + i] * r[i];
            }
            o += m.w2[j] * Math.max(0, t);
        }
        return 1 / (1 + Math.exp(-o));
    }
}
