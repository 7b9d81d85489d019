package org.leapformer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.leapformer.ops.Checks;
import org.leapformer.ops.Scalars;

/**
 * Cross-entropy written for the autograd path of the PyTorch engine. DJL's
 * {@code SoftmaxCrossEntropyLoss} multiplies by a Java {@code Number} (a temporary tensor over
 * a Java buffer that autograd may keep after it is freed); here every constant owns native
 * memory ({@link Scalars}).
 */
public final class Losses {

    private Losses() {}

    /**
     * Negative log-likelihood sums.
     *
     * @param logits (..., C)
     * @param labels (...), integer class ids; negative ids are ignored
     * @return [Σ −log p(label), number of counted labels, number of correct argmax predictions]
     *     as 0-d arrays; only the first carries gradients
     */
    public static NDArray[] sums(NDArray logits, NDArray labels) {
        Shape ls = logits.getShape();
        Shape ys = labels.getShape();
        Checks.require(ls.dimension() == ys.dimension() + 1 && ls.slice(0, ys.dimension()).equals(ys), "labels shape",
                ls.slice(0, ls.dimension() - 1) + " (the logits " + ls + " without the class axis)", ys);
        Checks.require(!labels.getDataType().isFloating(), "labels data type", "an integer type", labels.getDataType());
        long classes = ls.get(ls.dimension() - 1);
        if (!labels.isEmpty()) {
            try (NDArray hi = labels.max(); NDArray h = hi.toType(DataType.INT64, false)) {
                long max = h.getLong();
                Checks.require(max < classes, "labels", "class ids below " + classes + " (the model's "
                        + (ys.dimension() == 1 ? "classes" : "vocabulary") + "; negative ids are ignored)",
                        "a label " + max);
            }
        }
        try (NDArray logp = logits.logSoftmax(-1); NDArray valid = labels.gte(0);
                NDArray safe0 = labels.maximum(0); NDArray safe = safe0.toType(DataType.INT64, false);
                NDArray idx = safe.expandDims(-1); NDArray picked = logp.gather(idx, -1);
                NDArray p = picked.squeeze(-1); NDArray validF = valid.toType(logp.getDataType(), false);
                NDArray masked = p.mul(validF); NDArray total = masked.sum();
                NDArray argmax = logits.argMax(-1); NDArray hit = argmax.eq(safe);
                NDArray hitValid = hit.logicalAnd(valid); NDArray hitF = hitValid.toType(DataType.FLOAT64, false)) {
            return new NDArray[] {total.neg(), validF.sum(), hitF.sum()};
        }
    }

    /**
     * Mean cross-entropy over the labels that are not ignored (a scalar with gradients).
     *
     * @param logits (..., C)
     * @param labels (...), negative ids ignored
     */
    public static NDArray crossEntropy(NDArray logits, NDArray labels) {
        NDArray[] s = sums(logits, labels);
        try (NDArray sum = s[0]; NDArray count = s[1]; NDArray correct = s[2];
                NDArray safe = Scalars.maximum(count, 1.0)) {
            return sum.div(safe);
        }
    }
}
