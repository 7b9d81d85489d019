package org.leapformer.inspect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.leapformer.nn.AttentionCore;
import org.leapformer.nn.AttentionKind;
import org.leapformer.nn.LinearAttention;
import org.leapformer.nn.SoftmaxAttention;
import org.leapformer.ops.AttentionState;
import org.leapformer.ops.FeatureMap;
import org.leapformer.ops.KvCache;
import org.leapformer.ops.LinearForms;
import org.leapformer.ops.LinearState;

/**
 * The per-step records of the steppers, written once for a model's layers and a lone layer. All
 * arrays made here live on the manager of the step's q and are closed with it.
 */
final class StepRecords {

    private StepRecords() {}

    /**
     * Past key features of a linear attention with the new token's appended, (B, H, t+1, F), on
     * {@code keep}; the old array is closed. Softmax keeps its keys in its cache: null.
     */
    static NDArray appendKeys(AttentionCore<?> core, NDArray kept, NDArray k, long offset, NDManager keep) {
        if (!(core instanceof LinearAttention la)) {
            return null;
        }
        FeatureMap fm = la.featureMap(new ParameterStore(k.getManager(), false), false, true);
        try (NDArray fk = fm.keys(k, offset)) {
            NDArray all = kept == null ? fk.duplicate() : NDArrays.concat(new NDList(kept, fk), 2);
            all.attach(keep);
            if (kept != null) {
                kept.close();
            }
            return all;
        }
    }

    /**
     * The record of one new token at one layer.
     *
     * @param q the token's query (B, H, 1, D), likewise k
     * @param o the attention output (B, H, 1, Dv)
     * @param state the layer's state after the token
     * @param keptKeys (B, H, t+1, F) past key features including this token's, or null
     */
    static LayerStep record(int layer, AttentionCore<?> core, long offset, NDArray q, NDArray k, NDArray o,
            AttentionState state, NDArray keptKeys) {
        NDManager m = q.getManager();
        ParameterStore ps = new ParameterStore(m, false);
        Values output = perHead(o);
        if (core instanceof SoftmaxAttention sa) {
            KvCache cache = (KvCache) state;
            Values row;
            try (NDArray w = org.leapformer.ops.SoftmaxForms.weights(q, cache.keys(), null, false, sa.scale())) {
                row = perHead(w);
            }
            return new LayerStep(layer, offset, null, null, Map.of(), null, row, output);
        }
        LinearAttention la = (LinearAttention) core;
        LinearState s = (LinearState) state;
        Values pq = null;
        Values pk = null;
        if (la.kind() == AttentionKind.LEAP || la.kind() == AttentionKind.COSFORMER) {
            try (NDArray a = la.queryProportions(ps, q, offset, false); NDArray b = la.keyProportions(ps, k, offset,
                    false)) {
                pq = perHead(a, q.getShape());
                pk = perHead(b, q.getShape());
            }
        }
        Map<String, Values> norms = new LinkedHashMap<>();
        String[] names = s.blocks() == 2 ? new String[] {"sin", "cos"} : new String[] {null};
        for (int i = 0; i < names.length; i++) {
            String suffix = names[i] == null ? "" : "_" + names[i];
            try (NDArray sb = s.blocks() == 2 ? s.s(i) : s.s().duplicate(); NDArray sq = sb.square();
                    NDArray sum = sq.sum(new int[] {2, 3}); NDArray norm = sum.sqrt()) {
                norms.put("S" + suffix, Values.of(norm));
            }
            try (NDArray zb = s.blocks() == 2 ? s.z(i) : s.z().duplicate(); NDArray sq = zb.square();
                    NDArray sum = sq.sum(new int[] {2}); NDArray norm = sum.sqrt()) {
                norms.put("z" + suffix, Values.of(norm));
            }
        }
        FeatureMap fm = la.featureMap(ps, false, true);
        Values den;
        Values row = null;
        try (NDArray fq = fm.queries(q, offset); NDArray fqs = fq.toType(s.z().getDataType(), false);
                NDArray z = s.z().expandDims(3); NDArray d = fqs.matMul(z)) { // (B, H, 1, 1)
            den = scalarPerHead(d);
            if (keptKeys != null) {
                try (NDArray kt = keptKeys.swapAxes(2, 3); NDArray scores = fq.matMul(kt); // (B, H, 1, t+1)
                        NDArray sum = scores.sum(new int[] {3}, true);
                        NDArray w = LinearForms.normalize(scores.duplicate(), sum.duplicate(), la.spec().clamp())) {
                    row = perHead(w);
                }
            }
        }
        return new LayerStep(layer, offset, pq, pk, Collections.unmodifiableMap(norms), den, row, output);
    }

    /** (B, H, 1, X) → Values (B, H, X). */
    private static Values perHead(NDArray x) {
        Shape s = x.getShape();
        return new Values(Values.of(x).data(), new long[] {s.get(0), s.get(1), s.get(3)});
    }

    /** (B, H, 1, 1) → Values (B, H). */
    private static Values scalarPerHead(NDArray x) {
        Shape s = x.getShape();
        return new Values(Values.of(x).data(), new long[] {s.get(0), s.get(1)});
    }

    /** Proportions (B, H, 1, 1) or cosFormer's (1, 1) as (B, H). */
    private static Values perHead(NDArray p, Shape like) {
        long b = like.get(0);
        long h = like.get(1);
        float[] v = Values.of(p).data();
        if (v.length == b * h) {
            return new Values(v, new long[] {b, h});
        }
        float[] all = new float[(int) (b * h)];
        java.util.Arrays.fill(all, v[0]);
        return new Values(all, new long[] {b, h});
    }
}
