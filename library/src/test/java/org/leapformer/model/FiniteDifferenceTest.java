package org.leapformer.model;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.leapformer.ManagedTest;
import org.leapformer.TestSupport;
import org.leapformer.nn.AttentionKind;
import org.leapformer.ops.Form;
import org.leapformer.ops.WaitK;

/**
 * Every model's gradients against central finite differences in float64, through the training
 * forward (training = true, dropout 0): for every parameter (the token embeddings, through which
 * the inputs enter, included) the derivative of L = Σ logits·R along two random directions, from
 * autograd and from the five-point central difference
 * (−L(θ + 2εu) + 8L(θ + εu) − 8L(θ − εu) + L(θ − 2εu)) / 12ε, must agree to a relative 1e-6. The
 * error is |fd − autograd| / max(|fd|, |autograd|, 1e-2). The step follows the parameter's size,
 * ε = 1e-4 · RMS(θ) within [1e-5, 1e-4] (the token table starts at RMS 0.02 and a layer norm scales
 * it up 50×): truncation is O(ε⁴), rounding in L/ε near 1e-9. When the two disagree, the difference
 * is taken again at ε/2: if it moved, a ReLU or clamp kink lies inside the stencil and another random
 * direction is drawn (up to four); if it did not, the gradient is wrong and the test fails. A path that is only
 * partly detached (keys and values cut off while the queries train) still has non-zero gradients;
 * it fails here.
 *
 * <p>Models × every attention kind each accepts × training form (quadratic, and chunked over 4
 * chunks) × with and without masks: the LM (causal; no padding mask exists), the classifier
 * (bidirectional; padded and unpadded sequences), the translator (no cosFormer; source mask or none,
 * offline and wait-2).
 */
class FiniteDifferenceTest extends ManagedTest {

    private static final double EPS = 1e-4;
    /** Directions tried per parameter before a kink-free one is found. */
    private static final int ATTEMPTS = 4;
    private static final double RTOL = 1e-6;
    /**
     * Directional derivatives below this size are held to an absolute 1e-8 (rounding in L/ε is ~1e-9 at
     * the smallest step; a derivative that is exactly 0, softmax's along a key bias, comes out as that).
     */
    private static final double FLOOR = 1e-2;
    private static final int N = 11; // chunks of 3: four chunks
    /** The training forms; the recurrent one is checked against them in the forms' own tests. */
    private static final Form[] FORMS = {Form.QUADRATIC, Form.CHUNKED};

    private static ModelConfig.Builder config(AttentionKind kind) {
        return ModelConfig.builder().optKind(kind).setVocabSize(9).setMaxLength(N).optDModel(8).optHeads(2)
                .optHeadDim(4).optFfnDim(12).optLayers(2).optDropout(0.0).optChunkSize(3).optLeapHidden(2);
    }

    @Test
    void languageModelEveryKindAndForm() {
        List<String> checked = new ArrayList<>();
        for (AttentionKind kind : AttentionKind.values()) {
            for (Form form : FORMS) {
                try (NDManager m = manager.newSubManager()) {
                    TestSupport.seed(1);
                    DecoderLM lm = new DecoderLM(config(kind).optTrainingForm(form).optTiedEmbeddings(false).build())
                            .initialize(m, DataType.FLOAT64);
                    NDArray ids = ids(m, 2, N, 1, 7);
                    String what = "LM " + kind + " " + form;
                    check(m, what, lm, ps -> lm.logits(ps, ids, form, true));
                    checked.add(what);
                }
            }
        }
        assertTrue(checked.size() == 8, checked.toString());
    }

    @Test
    void classifierEveryKindWithAndWithoutPadding() {
        for (AttentionKind kind : AttentionKind.values()) {
            for (boolean padded : new boolean[] {false, true}) {
                try (NDManager m = manager.newSubManager()) {
                    TestSupport.seed(2);
                    EncoderClassifier model = new EncoderClassifier(config(kind).optNumClasses(3).optPadId(0)
                            .build()).initialize(m, DataType.FLOAT64);
                    NDArray ids = ids(m, 2, N, 1, 8);
                    if (padded) { // the second sequence ends in 4 pads, the first in 1
                        ids.set(new NDIndex("1, 7:"), 0);
                        ids.set(new NDIndex("0, 10:"), 0);
                    }
                    check(m, "classifier " + kind + (padded ? " padded" : " unpadded"), model,
                            ps -> model.logits(ps, ids, true));
                }
            }
        }
    }

    @Test
    void translatorEveryKindFormMaskAndLag() {
        for (AttentionKind kind : AttentionKind.values()) {
            if (kind == AttentionKind.COSFORMER) {
                continue; // refused by the translator, with its reason (SimulTranslatorTest)
            }
            for (Form form : FORMS) {
                for (boolean masked : new boolean[] {false, true}) {
                    for (long k : new long[] {WaitK.OFFLINE, 2}) {
                        try (NDManager m = manager.newSubManager()) {
                            TestSupport.seed(3);
                            SimulTranslator model = new SimulTranslator(config(kind).optTrainingForm(form).optLayers(1)
                                    .build()) // one encoder and one decoder layer: 24 configurations
                                    .initialize(m, DataType.FLOAT64);
                            NDArray src = ids(m, 2, 9, 2, 8);
                            NDArray tgt = ids(m, 2, 7, 1, 8);
                            NDArray mask = null;
                            if (masked) {
                                mask = m.ones(new Shape(2, 9), DataType.FLOAT64);
                                mask.set(new NDIndex("1, 6:"), 0); // the second source is 6 tokens long
                            }
                            NDArray sm = mask;
                            check(m, "translator " + kind + " " + form + (masked ? " masked" : " unmasked") + " k="
                                    + (k == WaitK.OFFLINE ? "offline" : k), model,
                                    ps -> model.logits(ps, src, sm, tgt, k, form, true));
                        }
                    }
                }
            }
        }
    }

    private static NDArray ids(NDManager m, int b, int n, int from, int to) {
        return m.randomInteger(from, to, new Shape(b, n), DataType.INT64);
    }

    /** Directional derivatives of every parameter, autograd against central differences. */
    private static void check(NDManager m, String what, Block model, Function<ParameterStore, NDArray> logits) {
        ParameterStore ps = new ParameterStore(m, false);
        NDArray r;
        try (NDArray probe = logits.apply(ps)) {
            r = m.randomNormal(probe.getShape(), DataType.FLOAT64);
        }
        List<Pair<String, Parameter>> params = new ArrayList<>();
        for (Pair<String, Parameter> p : model.getParameters()) {
            if (p.getValue().requiresGradient()) {
                params.add(p);
                NDArray a = p.getValue().getArray();
                if (a.hasGradient()) {
                    JniUtils.zeroGrad((PtNDArray) a);
                }
            }
        }
        assertTrue(params.size() > 10, what + ": parameters " + params.size());
        try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector();
                NDArray out = logits.apply(ps); NDArray weighted = out.mul(r); NDArray loss = weighted.sum()) {
            gc.backward(loss);
        }
        Random random = new Random(what.hashCode());
        List<String> failures = new ArrayList<>();
        for (Pair<String, Parameter> p : params) {
            NDArray w = p.getValue().getArray();
            NDArray grad = w.getGradient().duplicate();
            double rms = Math.sqrt(w.square().mean().getDouble());
            double eps = EPS * Math.min(1.0, Math.max(0.1, rms));
            String result = null;
            for (int attempt = 0; attempt < ATTEMPTS && result == null; attempt++) {
                NDArray du = m.create(unitDirection(random, (int) w.size()), w.getShape());
                double analytic = grad.mul(du).sum().getDouble();
                NDArray original = w.duplicate();
                double coarse = derivative(ps, logits, r, w, original, du, eps);
                double scale = Math.max(FLOOR, Math.max(Math.abs(coarse), Math.abs(analytic)));
                if (Math.abs(coarse - analytic) / scale <= RTOL) {
                    result = "";
                } else { // a wrong gradient, or a ReLU or clamp kink inside the stencil: look again at ε/2
                    double fine = derivative(ps, logits, r, w, original, du, eps / 2);
                    if (Math.abs(coarse - fine) / scale <= RTOL) {
                        result = String.format(Locale.ROOT, "%s: autograd %.10g, finite difference %.10g (relative %.2e)",
                                p.getKey(), analytic, fine, Math.abs(fine - analytic) / scale);
                    } // else L is not smooth along this direction: draw another
                }
                w.set(new NDIndex("..."), original);
            }
            if (result == null) {
                failures.add(p.getKey() + ": no direction of " + ATTEMPTS + " had the same finite difference at two steps");
            } else if (!result.isEmpty()) {
                failures.add(result);
            }
        }
        if (!failures.isEmpty()) {
            fail(what + ": " + failures.size() + " directional derivatives disagree:\n  " + String.join("\n  ", failures));
        }
    }

    private static double[] unitDirection(Random random, int size) {
        double[] u = new double[size];
        double norm = 0;
        for (int i = 0; i < size; i++) {
            u[i] = random.nextGaussian();
            norm += u[i] * u[i];
        }
        norm = Math.sqrt(norm);
        for (int i = 0; i < size; i++) {
            u[i] /= norm;
        }
        return u;
    }

    /** The five-point central difference of L along {@code du} at step {@code eps}. */
    private static double derivative(ParameterStore ps, Function<ParameterStore, NDArray> logits, NDArray r, NDArray w,
            NDArray original, NDArray du, double eps) {
        double[] steps = {2 * eps, eps, -eps, -2 * eps};
        double[] at = new double[4];
        for (int s = 0; s < 4; s++) {
            try (NDArray step = du.mul(steps[s]); NDArray moved = original.add(step)) {
                at[s] = lossAt(ps, logits, r, w, moved);
            }
        }
        return (-at[0] + 8 * at[1] - 8 * at[2] + at[3]) / (12 * eps);
    }

    private static double lossAt(ParameterStore ps, Function<ParameterStore, NDArray> logits, NDArray r, NDArray w,
            NDArray value) {
        w.set(new NDIndex("..."), value); // outside a gradient collector: no graph, an in-place copy
        try (NDArray out = logits.apply(ps); NDArray weighted = out.mul(r); NDArray loss = weighted.sum()) {
            return loss.getDouble();
        }
    }
}
