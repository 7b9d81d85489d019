package org.leapformer.inspect;

import java.util.Map;

/**
 * What one attention layer did for one new token of a causal sequence, as plain values (B
 * sequences, H heads). Recorded by a {@link Stepper} (per layer of a model) or a
 * {@link LayerStepper} (one attention layer).
 *
 * <pre>
 *   queryProportion, keyProportion   (B, H)     the new token's p_q, p_k (LeaP) or i/N (cosFormer); null otherwise
 *   stateNorms                       (B, H) each  ‖S_sin‖, ‖S_cos‖, ‖z_sin‖, ‖z_cos‖ after the token
 *                                                 (ReLU-linear: ‖S‖, ‖z‖; softmax: none)
 *   denominator                      (B, H)     φ(q)·z, the normaliser before the clamp (linear attention)
 *   attentionRow                     (B, H, t+1) the weights the new token gives every token so far (when kept)
 *   output                           (B, H, Dv) the attention output of the new token
 * </pre>
 *
 * @param layer the layer's index (0 for a lone layer)
 * @param position the token's absolute position t (0-based)
 * @param queryProportion see above; null for ReLU-linear and softmax attention
 * @param keyProportion see above; null for ReLU-linear and softmax attention
 * @param stateNorms Frobenius norms of the state blocks by name ("S_sin", "S_cos", "z_sin", "z_cos"; "S", "z"
 *     for ReLU-linear); empty for softmax
 * @param denominator see above; null for softmax
 * @param attentionRow see above; null unless past keys are kept (always there for softmax, whose cache holds them)
 * @param output see above
 */
public record LayerStep(int layer, long position, Values queryProportion, Values keyProportion,
        Map<String, Values> stateNorms, Values denominator, Values attentionRow, Values output) {

    /** The new token's query proportion in sequence b, head h. */
    public float queryProportion(int b, int h) {
        if (queryProportion == null) {
            throw new IllegalStateException("layer " + layer + ": expected a LEAP or COSFORMER attention, which has "
                    + "proportions; this one has none");
        }
        checkIndex(b, h);
        return queryProportion.get(b, h);
    }

    /** The new token's key proportion in sequence b, head h. */
    public float keyProportion(int b, int h) {
        if (keyProportion == null) {
            throw new IllegalStateException("layer " + layer + ": expected a LEAP or COSFORMER attention, which has "
                    + "proportions; this one has none");
        }
        checkIndex(b, h);
        return keyProportion.get(b, h);
    }

    /**
     * The weights token t gives tokens 0..t in sequence b, head h.
     *
     * @throws IllegalStateException when past keys were not kept
     */
    public float[] attentionRow(int b, int h) {
        if (attentionRow == null) {
            throw new IllegalStateException("attention row of layer " + layer + ": expected a stepper that keeps past "
                    + "keys (keepKeys = true), found one that does not (its memory per token is constant)");
        }
        checkIndex(b, h);
        return attentionRow.row(b, h);
    }

    /** B. */
    public int batchSize() {
        return (int) output.shape(0);
    }

    /** H. */
    public int heads() {
        return (int) output.shape(1);
    }

    private void checkIndex(int b, int h) {
        org.leapformer.ops.Checks.require(b >= 0 && b < batchSize(), "sequence index", "0.." + (batchSize() - 1), b);
        org.leapformer.ops.Checks.require(h >= 0 && h < heads(), "head index", "0.." + (heads() - 1), h);
    }

    /** One line: layer, position and, for sequence 0 and head 0, the proportions and state norms. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("LayerStep(layer ").append(layer).append(", position ").append(position);
        if (queryProportion != null) {
            sb.append(String.format(java.util.Locale.ROOT, ", p_q %.3f, p_k %.3f", queryProportion.get(0, 0),
                    keyProportion.get(0, 0)));
        }
        stateNorms.forEach((name, v) -> sb.append(String.format(java.util.Locale.ROOT, ", ‖%s‖ %.3g", name, v.get(0, 0))));
        return sb.append(heads() > 1 || batchSize() > 1 ? " in sequence 0, head 0)" : ")").toString();
    }
}
