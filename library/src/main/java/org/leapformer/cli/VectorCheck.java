package org.leapformer.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.leapformer.LeapEngine;
import org.leapformer.nn.AttentionKind;
import org.leapformer.nn.LeapModule;
import org.leapformer.nn.LinearAttention;
import org.leapformer.nn.SoftmaxAttention;
import org.leapformer.ops.AttentionOutput;
import org.leapformer.ops.FeatureMap;
import org.leapformer.ops.Form;
import org.leapformer.ops.KvCache;
import org.leapformer.ops.LinearForms;
import org.leapformer.ops.LinearState;

/**
 * Checks the library against a reference vectors file ({@code leapformer-test-vectors/1}, see
 * data/vectors/README.md): proportions, every form, final states and gradients of the loss
 * L = Σ out·R, all through the public API; the baselines' outputs and gradients (softmax,
 * cosFormer, ReLU-linear) through the Block forward in training mode, the path models train with,
 * every causal linear form included. Each quantity's error is relative to its size
 * ({@link Row#relativeError()}).
 */
public final class VectorCheck {

    /**
     * Default bound on each quantity's relative error in float32: a LeaP-module gradient of 1e-3 is
     * a sum of terms a thousand times larger, so float32 rounding alone leaves it ~2e-4 off relative
     * to its size; 1e-3 still catches any real error in it, which an absolute 1e-4 (10% of it) did not.
     */
    public static final double TOLERANCE = 1e-3;
    /** Default bound on each quantity's relative error in float64 (rounding there is near 1e-12). */
    public static final double TOLERANCE_FLOAT64 = 1e-8;

    /** {@link #TOLERANCE} or {@link #TOLERANCE_FLOAT64}. */
    public static double defaultTolerance(DataType dataType) {
        return dataType == DataType.FLOAT64 ? TOLERANCE_FLOAT64 : TOLERANCE;
    }

    /**
     * Below this magnitude a quantity's error is taken relative to it instead of to its own size:
     * a quantity that is all zeros (or nearly) is then held to an absolute error of
     * {@code FLOOR × tolerance}.
     */
    public static final double FLOOR = 1e-3;

    /**
     * One compared quantity.
     *
     * @param maxAbsError max |computed − expected| over the quantity's values
     * @param scale max |expected| over the same values
     * @param tolerance the bound on {@link #relativeError()}
     */
    public record Row(String caseName, String quantity, double maxAbsError, double scale, double tolerance) {

        /**
         * max|err| / max(max|expected|, {@link #FLOOR}): relative to the quantity's size, so that small
         * quantities (LeaP-module gradients of 1e-3) are held to the same relative precision as large
         * ones. NaN when anything computed was NaN.
         */
        public double relativeError() {
            return maxAbsError / Math.max(scale, FLOOR);
        }

        public boolean ok() {
            return relativeError() <= tolerance; // false for NaN
        }
    }

    private final NDManager manager;
    private final DataType dataType;
    private final double tolerance;
    private final List<Row> rows = new ArrayList<>();

    private VectorCheck(NDManager manager, DataType dataType, double tolerance) {
        this.manager = manager;
        this.dataType = dataType;
        this.tolerance = tolerance;
    }

    /**
     * Runs every case of the file.
     *
     * @param dataType FLOAT32 (the default of the library) or FLOAT64
     * @param tolerance the bound on each quantity's {@link Row#relativeError()}
     * @throws IllegalArgumentException when the file is missing or not in the expected format
     */
    public static List<Row> run(Path file, DataType dataType, double tolerance) {
        JsonObject root = parse(file);
        JsonElement cases = root.get("cases");
        if (cases == null || !cases.isJsonObject() || cases.getAsJsonObject().size() == 0) {
            throw new IllegalArgumentException(file + ": expected an object 'cases' with at least one case, found "
                    + (cases == null ? "none" : cases));
        }
        try (NDManager manager = LeapEngine.newManager()) {
            VectorCheck check = new VectorCheck(manager, dataType, tolerance);
            for (Map.Entry<String, JsonElement> e : cases.getAsJsonObject().entrySet()) {
                try (NDManager caseManager = manager.newSubManager()) {
                    new VectorCheck(caseManager, dataType, tolerance).runCase(e.getKey(), e.getValue().getAsJsonObject(),
                            check.rows);
                } catch (IllegalStateException | UnsupportedOperationException | ClassCastException
                        | NullPointerException ex) {
                    throw new IllegalArgumentException(file + ": case '" + e.getKey() + "' is malformed: " + ex, ex);
                }
            }
            return check.rows;
        }
    }

    private static JsonObject parse(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("vectors file: expected a readable file, found nothing at " + file);
        }
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            JsonElement el = JsonParser.parseReader(r);
            if (!el.isJsonObject()) {
                throw new IllegalArgumentException(file + ": expected a JSON object, found " + el.getClass().getSimpleName());
            }
            JsonObject root = el.getAsJsonObject();
            String format = root.has("format") ? root.get("format").getAsString() : "none";
            if (!format.startsWith("leapformer-test-vectors/")) {
                throw new IllegalArgumentException(file + ": expected format leapformer-test-vectors/1, found " + format);
            }
            return root;
        } catch (IOException | JsonParseException ex) {
            throw new IllegalArgumentException(file + ": expected JSON test vectors, could not read: " + ex.getMessage(), ex);
        }
    }

    private void runCase(String name, JsonObject c, List<Row> out) {
        JsonObject in = c.getAsJsonObject("inputs");
        Double clamp = c.get("clamp_min") == null || c.get("clamp_min").isJsonNull() ? null : c.get("clamp_min").getAsDouble();
        NDArray q = tensor(in.get("q"));
        NDArray k = tensor(in.get("k"));
        NDArray v = tensor(in.get("v"));
        NDArray r = tensor(in.get("R"));
        JsonObject exp = c.getAsJsonObject("expected");
        int d = (int) q.getShape().get(3);
        JsonObject lq = in.getAsJsonObject("leap_q");
        JsonObject lk = in.getAsJsonObject("leap_k");
        int hidden = lq.has("W1") ? lq.getAsJsonArray("W1").size() : 1;
        long n = q.getShape().get(2);

        LinearAttention leap = leapBlock(d, hidden, clamp, lq, lk);
        ParameterStore ps = new ParameterStore(manager, false);
        compare(out, name, "leap_proportions_q", leap.queryProportions(q).squeeze(3), exp.get("leap_proportions_q"));
        compare(out, name, "leap_proportions_k", leap.keyProportions(k).squeeze(3), exp.get("leap_proportions_k"));
        compare(out, name, "leap_bidirectional", leap.bidirectional(q, k, v, null), exp.get("leap_bidirectional"));
        JsonObject finalState = exp.has("final_state") ? exp.getAsJsonObject("final_state") : null;
        for (CausalRun run : causalRuns(n)) {
            try (AttentionOutput<LinearState> res = run.apply(leap, ps, q, k, v)) {
                compare(out, name, "leap_causal " + run.label, res.output(), exp.get("leap_causal"));
                if (finalState != null) {
                    compareState(out, name, run.label, res.state(), finalState);
                }
            }
        }
        if (exp.has("cosformer_bidirectional") || exp.has("cosformer_causal")) {
            if (c.has("cosformer_positions")) {
                LinearAttention plain = LinearAttention.builder().setKind(AttentionKind.COSFORMER).setHeadDim(d)
                        .optSequenceLength(n).build();
                compare(out, name, "cosformer_positions", plain.queryProportions(q).squeeze(1),
                        c.get("cosformer_positions"));
            }
            LinearAttention cos = LinearAttention.builder().setKind(AttentionKind.COSFORMER).setHeadDim(d)
                    .optClamp(clamp).optSequenceLength(n).build();
            if (exp.has("cosformer_bidirectional")) {
                compare(out, name, "cosformer_bidirectional", cos.bidirectional(q, k, v, null),
                        exp.get("cosformer_bidirectional"));
            }
            if (exp.has("cosformer_causal")) {
                for (CausalRun run : causalRuns(n)) {
                    try (AttentionOutput<LinearState> res = run.apply(cos, ps, q, k, v)) {
                        compare(out, name, "cosformer_causal " + run.label, res.output(), exp.get("cosformer_causal"));
                    }
                }
            }
        }
        SoftmaxAttention softmax = SoftmaxAttention.builder().build();
        if (exp.has("softmax_bidirectional")) {
            compare(out, name, "softmax_bidirectional", softmax.bidirectional(q, k, v, null),
                    exp.get("softmax_bidirectional"));
        }
        if (exp.has("softmax_causal")) {
            try (AttentionOutput<KvCache> res = softmax.causal(q, k, v, null)) {
                compare(out, name, "softmax_causal", res.output(), exp.get("softmax_causal"));
            }
            long half = n / 2;
            if (half > 0) {
                try (AttentionOutput<KvCache> a = softmax.causal(slice(q, 0, half), slice(k, 0, half), slice(v, 0, half), null);
                        AttentionOutput<KvCache> b = softmax.causal(slice(q, half, n), slice(k, half, n), slice(v, half, n),
                                a.state())) {
                    compare(out, name, "softmax_causal [cache " + half + "+" + (n - half) + "]",
                            a.output().concat(b.output(), 2), exp.get("softmax_causal"));
                }
            }
        }
        for (String kind : new String[] {"relu_linear_bidirectional", "relu_linear_causal"}) {
            if (exp.has(kind)) {
                for (Labelled<Block> b : baselineBlocks(kind, d, n, clamp)) {
                    try (NDManager sub = manager.newSubManager()) {
                        b.value.initialize(sub, dataType, q.getShape(), k.getShape(), v.getShape());
                        compare(out, name, kind + " " + b.label, b.value.forward(ps, new NDList(q, k, v), false)
                                .singletonOrThrow(), exp.get(kind));
                    }
                }
            }
        }
        JsonObject baselines = c.getAsJsonObject("baseline_gradients");
        if (baselines != null) {
            for (Map.Entry<String, JsonElement> e : baselines.entrySet()) {
                for (Labelled<Block> b : baselineBlocks(e.getKey(), d, n, clamp)) {
                    blockGradients(out, name, e.getKey() + " " + b.label, e.getValue().getAsJsonObject(), b.value, q, k,
                            v, r);
                }
            }
        }
        JsonObject grads = c.getAsJsonObject("gradients");
        if (grads != null) {
            if (grads.has("leap_bidirectional")) {
                gradients(out, name, "leap_bidirectional", grads.getAsJsonObject("leap_bidirectional"), d, hidden, clamp,
                        lq, lk, q, k, v, r, (blk, qq, kk, vv) -> blk.bidirectional(new ParameterStore(manager, false), qq,
                                kk, vv, null, true));
            }
            if (grads.has("leap_causal")) {
                for (CausalRun run : causalRuns(n)) {
                    gradients(out, name, "leap_causal " + run.label, grads.getAsJsonObject("leap_causal"), d, hidden,
                            clamp, lq, lk, q, k, v, r, (blk, qq, kk, vv) -> {
                                AttentionOutput<LinearState> res =
                                        run.apply(blk, new ParameterStore(manager, false), qq, kk, vv);
                                res.state().close();
                                return res.output();
                            });
                }
            }
        }
    }

    private record Labelled<T>(String label, T value) {}

    /**
     * The blocks that compute a baseline quantity of the file ({@code softmax_causal},
     * {@code cosformer_bidirectional}, ...) as models train with them: a causal linear kind in
     * every form, the chunked one with chunks of 1, 3 and N−1.
     */
    private static List<Labelled<Block>> baselineBlocks(String quantity, int d, long n, Double clamp) {
        boolean causal = quantity.endsWith("_causal");
        String kindName = quantity.substring(0, quantity.lastIndexOf('_'));
        List<Labelled<Block>> blocks = new ArrayList<>();
        if (kindName.equals("softmax")) {
            blocks.add(new Labelled<>("[block]", SoftmaxAttention.builder().optCausal(causal).build()));
            return blocks;
        }
        AttentionKind kind = switch (kindName) {
            case "cosformer" -> AttentionKind.COSFORMER;
            case "relu_linear" -> AttentionKind.RELU_LINEAR;
            default -> throw new IllegalArgumentException("baseline '" + quantity + "': expected softmax_*, cosformer_* "
                    + "or relu_linear_* (_bidirectional or _causal), found a form this check does not know");
        };
        List<Labelled<LinearAttention.Builder>> variants = new ArrayList<>();
        if (!causal) {
            variants.add(new Labelled<>("[block]", LinearAttention.builder()));
        } else {
            variants.add(new Labelled<>("[block quadratic]", LinearAttention.builder().optForm(Form.QUADRATIC)));
            for (int chunk : new int[] {1, 3, (int) Math.max(1, n - 1)}) {
                variants.add(new Labelled<>("[block chunked C=" + chunk + "]",
                        LinearAttention.builder().optForm(Form.CHUNKED).optChunkSize(chunk)));
            }
            variants.add(new Labelled<>("[block recurrent]", LinearAttention.builder().optForm(Form.RECURRENT)));
        }
        for (Labelled<LinearAttention.Builder> v : variants) {
            LinearAttention.Builder b = v.value.setKind(kind).setHeadDim(d).optClamp(clamp).optCausal(causal);
            if (kind == AttentionKind.COSFORMER) {
                b.optSequenceLength(n);
            }
            blocks.add(new Labelled<>(v.label, b.build()));
        }
        return blocks;
    }

    /** dL/dq, dL/dk, dL/dv of L = Σ out·R through {@code block.forward} in training mode. */
    private void blockGradients(List<Row> out, String caseName, String label, JsonObject expected, Block block,
            NDArray q0, NDArray k0, NDArray v0, NDArray r) {
        try (NDManager sub = manager.newSubManager()) {
            block.initialize(sub, dataType, q0.getShape(), k0.getShape(), v0.getShape());
            backward(out, caseName, label, expected, sub, q0, k0, v0, r,
                    (q, k, v) -> block.forward(new ParameterStore(sub, false), new NDList(q, k, v), true)
                            .singletonOrThrow());
        }
    }

    /**
     * Runs {@code forward} on fresh leaves copied from q0, k0, v0 (on {@code sub}), back-propagates
     * L = Σ out·R and compares the loss and dL/dq, dL/dk, dL/dv with {@code expected}.
     */
    private void backward(List<Row> out, String caseName, String label, JsonObject expected, NDManager sub,
            NDArray q0, NDArray k0, NDArray v0, NDArray r, QkvForward forward) {
        NDArray[] leaves = new NDArray[3];
        NDArray[] given = {q0, k0, v0};
        for (int i = 0; i < 3; i++) {
            leaves[i] = given[i].duplicate(); // a fresh leaf: nothing before it needs a gradient
            leaves[i].attach(sub);
            leaves[i].setRequiresGradient(true);
        }
        NDArray loss;
        try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray o = forward.apply(leaves[0], leaves[1], leaves[2]);
            loss = o.mul(r).sum();
            gc.backward(loss);
        }
        String g = "grad " + label + " ";
        if (expected.has("loss")) {
            double want = expected.get("loss").getAsDouble();
            rows(out, caseName, g + "loss", Math.abs(loss.toType(DataType.FLOAT64, false).getDouble() - want),
                    Math.abs(want));
        }
        String[] names = {"q", "k", "v"};
        for (int i = 0; i < 3; i++) {
            compare(out, caseName, g + names[i], leaves[i].getGradient(), expected.get(names[i]));
        }
    }

    private interface QkvForward {
        NDArray apply(NDArray q, NDArray k, NDArray v);
    }

    private interface Forward {
        NDArray apply(LinearAttention block, NDArray q, NDArray k, NDArray v);
    }

    private void gradients(List<Row> out, String caseName, String label, JsonObject expected, int d, int hidden,
            Double clamp, JsonObject lq, JsonObject lk, NDArray q0, NDArray k0, NDArray v0, NDArray r, Forward fwd) {
        try (NDManager sub = manager.newSubManager()) {
            VectorCheck inner = new VectorCheck(sub, dataType, tolerance);
            LinearAttention blk = inner.leapBlock(d, hidden, clamp, lq, lk);
            backward(out, caseName, label, expected, sub, q0, k0, v0, r, (q, k, v) -> fwd.apply(blk, q, k, v));
            String g = "grad " + label + " ";
            for (String side : new String[] {"leap_q", "leap_k"}) {
                LeapModule m = side.equals("leap_q") ? blk.queryModule() : blk.keyModule();
                for (String w : m.weightNames()) {
                    String key = side + "." + w;
                    if (expected.has(key)) {
                        compare(out, caseName, g + key, m.weight(w).getGradient(), expected.get(key));
                    }
                }
            }
        }
    }

    /** The causal computations checked for every case: each form, and continuations through the state. */
    private record CausalRun(String label, Function<Ctx, AttentionOutput<LinearState>> body) {
        AttentionOutput<LinearState> apply(LinearAttention blk, ParameterStore ps, NDArray q, NDArray k, NDArray v) {
            return body.apply(new Ctx(blk, ps, q, k, v));
        }
    }

    private record Ctx(LinearAttention blk, ParameterStore ps, NDArray q, NDArray k, NDArray v) {}

    private static List<CausalRun> causalRuns(long n) {
        List<CausalRun> runs = new ArrayList<>();
        runs.add(new CausalRun("[quadratic]", c -> c.blk.causal(c.ps, c.q, c.k, c.v, null, Form.QUADRATIC, true)));
        for (int chunk : new int[] {1, 3, (int) Math.max(1, n - 1)}) {
            runs.add(new CausalRun("[chunked C=" + chunk + "]", c -> chunked(c, chunk)));
        }
        runs.add(new CausalRun("[recurrent]", c -> c.blk.causal(c.ps, c.q, c.k, c.v, null, Form.RECURRENT, true)));
        long half = n / 2;
        if (half > 0) {
            runs.add(new CausalRun("[chunked " + half + " + state + recurrent " + (n - half) + "]", c -> {
                try (AttentionOutput<LinearState> a = c.blk.causal(c.ps, slice(c.q, 0, half), slice(c.k, 0, half),
                        slice(c.v, 0, half), null, Form.CHUNKED, true)) {
                    AttentionOutput<LinearState> b = c.blk.causal(c.ps, slice(c.q, half, n), slice(c.k, half, n),
                            slice(c.v, half, n), a.state(), Form.RECURRENT, true);
                    return new AttentionOutput<>(a.output().concat(b.output(), 2), b.state());
                }
            }));
        }
        return runs;
    }

    private static AttentionOutput<LinearState> chunked(Ctx c, int chunk) {
        FeatureMap fm = c.blk.featureMap(c.ps, true, true);
        try (NDArray fq = fm.queries(c.q, 0); NDArray fk = fm.keys(c.k, 0)) {
            return LinearForms.chunked(fq, fk, c.v, null, c.blk.spec().withChunkSize(chunk));
        }
    }

    private static NDArray slice(NDArray x, long from, long to) {
        return x.get(":, :, {}:{}", from, to);
    }

    private LinearAttention leapBlock(int d, int hidden, Double clamp, JsonObject lq, JsonObject lk) {
        LinearAttention blk = LinearAttention.builder().setKind(AttentionKind.LEAP).setHeadDim(d).optLeapHidden(hidden)
                .optClamp(clamp).build();
        blk.initialize(manager, dataType);
        load(blk.queryModule(), lq);
        load(blk.keyModule(), lk);
        return blk;
    }

    private void load(LeapModule m, JsonObject weights) {
        for (String w : m.weightNames()) {
            JsonElement e = weights.get(w);
            if (e == null) {
                throw new IllegalArgumentException("LeaP weights: expected " + m.weightNames() + ", found "
                        + weights.keySet());
            }
            try (NDArray src = tensor(e)) {
                NDArray dst = m.weight(w);
                if (!dst.getShape().equals(src.getShape())) {
                    throw new IllegalArgumentException("LeaP weight " + w + ": expected shape " + dst.getShape()
                            + ", found " + src.getShape());
                }
                // copied natively by an index put: set(Buffer) would alias a direct buffer, and makes
                // libtorch warn "AutoNonVariableTypeMode is deprecated"
                boolean grad = ai.djl.pytorch.jni.JniUtils.isGradMode();
                ai.djl.pytorch.jni.JniUtils.setGradMode(false);
                NDArray c = src.toType(dst.getDataType(), false);
                try {
                    dst.set(new ai.djl.ndarray.index.NDIndex("..."), c);
                } finally {
                    if (c != src) {
                        c.close();
                    }
                    ai.djl.pytorch.jni.JniUtils.setGradMode(grad);
                }
            }
        }
    }

    private void compareState(List<Row> out, String caseName, String label, LinearState s, JsonObject expected) {
        String[] names = {"S_sin", "S_cos"};
        for (int i = 0; i < 2; i++) {
            if (expected.has(names[i])) {
                compare(out, caseName, "final_state." + names[i] + " " + label, s.s(i), expected.get(names[i]));
            }
        }
        String[] zs = {"z_sin", "z_cos"};
        for (int i = 0; i < 2; i++) {
            if (expected.has(zs[i])) {
                compare(out, caseName, "final_state." + zs[i] + " " + label, s.z(i), expected.get(zs[i]));
            }
        }
    }

    private void compare(List<Row> out, String caseName, String quantity, NDArray actual, JsonElement expected) {
        if (expected == null || expected.isJsonNull()) {
            return;
        }
        if (actual == null) {
            rows(out, caseName, quantity + " (missing)", Double.NaN, 0);
            return;
        }
        List<Long> shape = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        flatten(expected, 0, shape, values);
        Shape es = new Shape(shape.stream().mapToLong(Long::longValue).toArray());
        if (!es.equals(actual.getShape())) {
            throw new IllegalArgumentException(caseName + " " + quantity + ": expected shape " + es
                    + " in the file, computed " + actual.getShape());
        }
        double[] got = actual.toType(DataType.FLOAT64, false).toDoubleArray();
        double max = 0;
        double scale = 0;
        for (int i = 0; i < got.length; i++) {
            double err = Math.abs(got[i] - values.get(i));
            if (!(err <= max)) {
                max = err; // also catches NaN
            }
            scale = Math.max(scale, Math.abs(values.get(i)));
        }
        rows(out, caseName, quantity, max, scale);
    }

    private void rows(List<Row> out, String caseName, String quantity, double err, double scale) {
        out.add(new Row(caseName, quantity, err, scale, tolerance));
    }

    private NDArray tensor(JsonElement e) {
        List<Long> shape = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        flatten(e, 0, shape, values);
        double[] data = values.stream().mapToDouble(Double::doubleValue).toArray();
        Shape s = new Shape(shape.stream().mapToLong(Long::longValue).toArray());
        try (NDArray a = manager.create(data, s)) {
            // a aliases a Java buffer it keeps alive; toType(same type, true) would alias it too
            return dataType == DataType.FLOAT64 ? a.duplicate() : a.toType(dataType, false);
        }
    }

    /** Nested arrays → shape and row-major values; rejects ragged arrays and non-numbers. */
    private static void flatten(JsonElement e, int depth, List<Long> shape, List<Double> values) {
        if (e.isJsonArray()) {
            JsonArray a = e.getAsJsonArray();
            if (shape.size() == depth) {
                shape.add((long) a.size());
            } else if (shape.get(depth) != a.size()) {
                throw new IllegalArgumentException("ragged array: expected " + shape.get(depth) + " elements at depth "
                        + depth + ", found " + a.size());
            }
            for (JsonElement x : a) {
                flatten(x, depth + 1, shape, values);
            }
        } else if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            if (depth != shape.size()) {
                throw new IllegalArgumentException("ragged array: a number at depth " + depth + " where " + shape.size()
                        + " dimensions were expected");
            }
            values.add(e.getAsDouble());
        } else {
            throw new IllegalArgumentException("expected a number or an array, found " + e);
        }
    }
}
