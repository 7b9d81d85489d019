package org.leapformer.eval;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.leapformer.model.DecoderLM;
import org.leapformer.model.ModelConfig;
import org.leapformer.model.Parameters;
import org.leapformer.model.Positions;
import org.leapformer.nn.AttentionKind;
import org.leapformer.nn.CosformerLength;
import org.leapformer.ops.Checks;
import org.leapformer.ops.Form;

/**
 * A language model evaluated past its training length: the next-token loss (nats per token) and
 * accuracy at evaluation lengths L = m × T, T the training window ({@code maxLength}), for
 * multiples m (default 1, 4, 16), over the non-overlapping windows of L tokens that held-out text
 * holds (window i: inputs {@code tokens[i·L .. i·L+L)}, targets shifted by one, as
 * {@link org.leapformer.data.TokenWindows}; at m = 1 these are the test windows the trainer
 * evaluates). Every window starts from an empty state. The loss is also given by position bucket
 * (positions 0..B−1, B..2B−1, ... of the window, B = T by default), so one sees where a method
 * breaks.
 *
 * <p>cosFormer cannot know N while streaming, so it is evaluated under two labelled policies
 * ({@link CosformerLength}): TRAINING (<em>length unknown</em>: N = T kept, p_i = i/N above 1 past
 * it) and KNOWN (<em>length known</em>: N = L, the oracle). A model with learned positions has no
 * position past T: lengths beyond T are reported not applicable. Evaluation runs in the parallel
 * causal form ({@link Form#CHUNKED} by default) a batch of windows at a time, each batch on a
 * manager of its own (at most {@code batchTokens} tokens, at least one window), on the model's
 * device; {@link Form#RECURRENT} steps every window token by token through a
 * {@link DecoderLM.Session} instead (a check of the parallel numbers; cosFormer with the length
 * known then steps a copy with maxLength = L).
 *
 * <pre>{@code
 * Extrapolation.Report r = Extrapolation.builder().optMultiples(1, 4, 16).build()
 *         .evaluate(manager, lm, testIds);
 * System.out.print(r.table());
 * }</pre>
 */
public final class Extrapolation {

    /** The multiples of the training length evaluated unless told otherwise. */
    public static final List<Integer> DEFAULT_MULTIPLES = List.of(1, 4, 16);
    /** Tokens per batch of windows unless told otherwise (softmax's L×L scores bound the memory). */
    public static final int DEFAULT_BATCH_TOKENS = 8192;

    private final List<Integer> multiples;
    private final Form form;
    private final int batchTokens;
    private final Integer bucketLength;

    private Extrapolation(Builder b) {
        this.multiples = b.multiples;
        this.form = b.form;
        this.batchTokens = b.batchTokens;
        this.bucketLength = b.bucketLength;
    }

    /**
     * A builder with the defaults: multiples 1, 4, 16, chunked form, 8192 tokens per batch,
     * buckets of the training length.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The multiples of the training length evaluated, in order.
     *
     * @return the multiples, distinct and positive
     */
    public List<Integer> multiples() {
        return multiples;
    }

    /**
     * Loss in nats per token over position buckets of a window.
     *
     * @param from first position of the bucket (0-based, within the window)
     * @param to one past its last position
     * @param tokens predictions counted (windows × positions)
     */
    public record Bucket(int from, int to, long tokens, double loss, double accuracy) {
        JsonObject toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("from", from);
            o.addProperty("to", to);
            o.addProperty("tokens", tokens);
            o.add("loss", number(loss));
            o.add("accuracy", number(accuracy));
            return o;
        }
    }

    /**
     * One method at one evaluation length.
     *
     * @param method the attention ({@code leap}, {@code cosformer}, {@code softmax}, {@code relu})
     * @param cosformerLength cosFormer's policy for N, null for the other attentions
     * @param multiple m
     * @param length L = m × T
     * @param windows windows of L tokens evaluated (0 when not applicable)
     * @param tokens predictions counted, windows × L
     * @param loss mean negative log-likelihood, nats per token (NaN when not applicable)
     * @param accuracy fraction of argmax predictions equal to the next token
     * @param buckets the loss by position bucket
     * @param notApplicable why this length cannot be evaluated, or null
     */
    public record Result(String method, CosformerLength cosformerLength, int multiple, int length, int windows,
            long tokens, double loss, double accuracy, List<Bucket> buckets, String notApplicable) {

        /**
         * Whether numbers were computed.
         *
         * @return true unless the method does not apply (then {@code notApplicable} says why)
         */
        public boolean applicable() {
            return notApplicable == null;
        }

        /**
         * The method with its cosFormer policy, e.g. {@code cosformer (length unknown: N = 128)}.
         *
         * @param trainingLength the training length T, used to state the cosFormer length N
         * @return the label
         */
        public String label(int trainingLength) {
            if (cosformerLength == null) {
                return method;
            }
            return method + switch (cosformerLength) {
                case TRAINING -> " (length unknown: N = " + trainingLength + ")";
                case KNOWN -> " (length known: N = L)";
                case CAPPED -> " (N = " + trainingLength + ", capped)";
            };
        }

        JsonObject toJson(int trainingLength) {
            JsonObject o = new JsonObject();
            o.addProperty("method", method);
            o.addProperty("label", label(trainingLength));
            o.addProperty("cosformerLength", cosformerLength == null ? null : cosformerLength.name());
            o.addProperty("multiple", multiple);
            o.addProperty("length", length);
            o.addProperty("windows", windows);
            o.addProperty("tokens", tokens);
            o.add("loss", number(loss));
            o.add("accuracy", number(accuracy));
            o.addProperty("notApplicable", notApplicable);
            JsonArray b = new JsonArray();
            buckets.forEach(x -> b.add(x.toJson()));
            o.add("buckets", b);
            return o;
        }
    }

    /**
     * Everything evaluated.
     *
     * @param kind the model's attention
     * @param positions its position code
     * @param trainingLength T, the model's maxLength
     * @param bucketLength positions per bucket
     * @param heldOutTokens ids of the text evaluated
     * @param form the causal form used
     * @param results per method policy, then per multiple
     */
    public record Report(AttentionKind kind, Positions positions, int trainingLength, int bucketLength,
            long heldOutTokens, Form form, List<Result> results) {

        /**
         * The result of a method policy (null for a non-cosFormer model) at multiple m.
         *
         * @param policy the cosFormer length policy, null for a non-cosFormer model
         * @param multiple the multiple m of the training length
         * @return the matching result
         * @throws IllegalArgumentException when no result matches
         */
        public Result result(CosformerLength policy, int multiple) {
            for (Result r : results) {
                if (r.cosformerLength() == policy && r.multiple() == multiple) {
                    return r;
                }
            }
            throw new IllegalArgumentException("extrapolation result: expected one of " + labels() + ", found none for "
                    + policy + " at " + multiple + "x");
        }

        private List<String> labels() {
            List<String> out = new ArrayList<>();
            for (Result r : results) {
                out.add(r.label(trainingLength) + " at " + r.multiple() + "x");
            }
            return out;
        }

        /**
         * The report as JSON: attention, positions, lengths, form, unit and the results.
         *
         * @return the report as JSON: settings, then one object per result
         */
        public JsonObject toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("attention", kind.name().toLowerCase(Locale.ROOT));
            o.addProperty("positions", positions.name().toLowerCase(Locale.ROOT));
            o.addProperty("trainingLength", trainingLength);
            o.addProperty("bucketLength", bucketLength);
            o.addProperty("heldOutTokens", heldOutTokens);
            o.addProperty("form", form.name());
            o.addProperty("unit", "nats per token");
            JsonArray a = new JsonArray();
            results.forEach(r -> a.add(r.toJson(trainingLength)));
            o.add("results", a);
            return o;
        }

        /**
         * A plain-text table: one row per method policy and length, then the loss by bucket.
         *
         * @return the table
         */
        public String table() {
            StringBuilder s = new StringBuilder();
            s.append(String.format(Locale.ROOT, "%-40s %5s %7s %8s %9s %9s  %s%n", "method", "m", "L", "windows",
                    "loss", "accuracy", "loss by position bucket of " + bucketLength));
            for (Result r : results) {
                if (!r.applicable()) {
                    s.append(String.format(Locale.ROOT, "%-40s %4dx %7d %8s  %s%n", r.label(trainingLength),
                            r.multiple(), r.length(), "-", r.notApplicable()));
                    continue;
                }
                StringBuilder b = new StringBuilder();
                for (Bucket x : r.buckets()) {
                    b.append(b.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.3f", x.loss()));
                }
                s.append(String.format(Locale.ROOT, "%-40s %4dx %7d %8d %9.4f %9.4f  %s%n", r.label(trainingLength),
                        r.multiple(), r.length(), r.windows(), r.loss(), r.accuracy(), b));
            }
            return s.toString();
        }
    }

    /**
     * Evaluates {@code model} on {@code tokens} at every multiple.
     *
     * @param manager arrays of the evaluation hang from sub-managers of it, on the model's device
     * @param model a trained language model (left as it is)
     * @param tokens held-out token ids, a stream
     * @throws IllegalArgumentException when the text is too short for one window of the longest length,
     *     or an id is outside the vocabulary
     * @return the report: one result per method policy and multiple
     */
    public Report evaluate(NDManager manager, DecoderLM model, int[] tokens) {
        Checks.require(model != null, "model", "a DecoderLM", "null");
        Checks.require(tokens != null, "held-out token ids", "an array", "null");
        ModelConfig c = model.config();
        int t = c.maxLength();
        int bucket = bucketLength != null ? bucketLength : t;
        for (int m : multiples) {
            long length = (long) m * t;
            Checks.require(length < Integer.MAX_VALUE, "evaluation length", "m x T below 2^31", m + " x " + t);
            if (tokens.length < length + 1) {
                throw new IllegalArgumentException("extrapolation at " + m + "x the training length T = " + t
                        + " (L = " + length + " tokens): expected at least L + 1 = " + (length + 1)
                        + " held-out tokens for one window, found " + tokens.length
                        + " (evaluate smaller multiples or more text)");
            }
        }
        Checks.ids("held-out token ids", tokens, c.vocabSize(), "the vocabulary");
        List<CosformerLength> policies = c.kind() == AttentionKind.COSFORMER
                ? List.of(CosformerLength.TRAINING, CosformerLength.KNOWN) : Collections.singletonList(null);
        String method = method(c.kind());
        List<Result> results = new ArrayList<>();
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            for (CosformerLength policy : policies) {
                for (int m : multiples) {
                    int length = m * t;
                    if (c.positions() == Positions.LEARNED && length > t) {
                        results.add(new Result(method, policy, m, length, 0, 0, Double.NaN, Double.NaN, List.of(),
                                "not applicable (learned positions stop at maxLength=" + t + ")"));
                        continue;
                    }
                    results.add(evaluateLength(manager, model, policy, method, m, length, bucket, tokens));
                }
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
        return new Report(c.kind(), c.positions(), t, bucket, tokens.length, form, List.copyOf(results));
    }

    private Result evaluateLength(NDManager manager, DecoderLM model, CosformerLength policy, String method, int m,
            int length, int bucket, int[] tokens) {
        Parameter first = model.getParameters().valueAt(0);
        Device device = first.getArray().getDevice();
        DataType type = first.getArray().getDataType();
        int windows = (tokens.length - 1) / length;
        int buckets = (length + bucket - 1) / bucket;
        double[] loss = new double[buckets];
        double[] hits = new double[buckets];
        long[] counts = new long[buckets];
        try (NDManager owner = manager.newSubManager(device)) {
            DecoderLM use = variant(owner, model, policy, length, type);
            int perBatch = Math.max(1, batchTokens / length);
            for (int start = 0; start < windows; start += perBatch) {
                int rows = Math.min(perBatch, windows - start);
                long[] ids = new long[rows * length];
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < length; j++) {
                        ids[r * length + j] = tokens[(start + r) * length + j];
                    }
                }
                try (NDManager batch = owner.newSubManager(device)) {
                    if (form == Form.RECURRENT) {
                        stepped(batch, use, ids, rows, length, tokens, start, bucket, loss, hits, counts);
                    } else {
                        NDArray in = batch.create(ids, new Shape(rows, length));
                        NDArray logits = use.logits(new ParameterStore(batch, false), in, form, false);
                        accumulate(logits, tokens, start, length, 0, bucket, loss, hits, counts);
                    }
                }
            }
        }
        List<Bucket> out = new ArrayList<>();
        double sum = 0;
        double hit = 0;
        long n = 0;
        for (int b = 0; b < buckets; b++) {
            out.add(new Bucket(b * bucket, Math.min(length, (b + 1) * bucket), counts[b], loss[b] / counts[b],
                    hits[b] / counts[b]));
            sum += loss[b];
            hit += hits[b];
            n += counts[b];
        }
        return new Result(method, policy, m, length, windows, n, sum / n, hit / n, List.copyOf(out), null);
    }

    /** Windows fed one token at a time through a session (the recurrent form of every layer). */
    private static void stepped(NDManager batch, DecoderLM model, long[] ids, int rows, int length, int[] tokens,
            int start, int bucket, double[] loss, double[] hits, long[] counts) {
        try (DecoderLM.Session session = model.newSession(batch, rows)) {
            for (int j = 0; j < length; j++) {
                long[] column = new long[rows];
                for (int r = 0; r < rows; r++) {
                    column[r] = ids[r * length + j];
                }
                try (NDManager step = batch.newSubManager()) {
                    NDArray logits = session.feed(step.create(column, new Shape(rows, 1)), Form.RECURRENT);
                    accumulate(logits, tokens, start, length, j, bucket, loss, hits, counts);
                }
            }
        }
    }

    /**
     * Adds the negative log-likelihood and hits of logits (rows, n, V) at window positions
     * offset..offset+n−1 of windows start.. to the buckets.
     */
    private static void accumulate(NDArray logits, int[] tokens, int start, int length, int offset, int bucket,
            double[] loss, double[] hits, long[] counts) {
        long rows = logits.getShape().get(0);
        int n = Math.toIntExact(logits.getShape().get(1));
        long[] next = new long[Math.toIntExact(rows * n)];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < n; j++) {
                next[r * n + j] = tokens[(start + r) * length + offset + j + 1];
            }
        }
        try (NDManager m = logits.getManager().newSubManager()) {
            NDArray target = m.create(next, new Shape(rows, n, 1));
            NDArray logp = logits.logSoftmax(-1);
            logp.attach(m);
            NDArray picked = logp.gather(target, -1);
            NDArray argmax = logits.argMax(-1);
            argmax.attach(m);
            double[] nll = picked.toType(DataType.FLOAT64, false).toDoubleArray();
            long[] best = argmax.toType(DataType.INT64, false).toLongArray();
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < n; j++) {
                    int b = (offset + j) / bucket;
                    loss[b] -= nll[r * n + j];
                    hits[b] += best[r * n + j] == next[r * n + j] ? 1 : 0;
                    counts[b]++;
                }
            }
        }
    }

    /**
     * The model to run: itself, or for cosFormer a copy with the policy's N holding the same
     * weights (initialised with zeros, so libtorch's generator is not drawn from).
     */
    private DecoderLM variant(NDManager owner, DecoderLM model, CosformerLength policy, int length, DataType type) {
        if (policy == null) {
            return model;
        }
        ModelConfig.Builder b = model.config().toBuilder();
        if (policy == CosformerLength.KNOWN && form == Form.RECURRENT) {
            b.setMaxLength(length).optCosformerLength(CosformerLength.CAPPED); // stepping needs N up front
        } else {
            b.optCosformerLength(policy);
        }
        DecoderLM copy = new DecoderLM(b.build());
        copy.setInitializer(Initializer.ZEROS, p -> true);
        copy.initialize(owner, type);
        Parameters.CopyReport report = Parameters.copyMatching(model, copy);
        Checks.require(report.complete(), "cosFormer copy of the model", "every parameter copied", report);
        return copy;
    }

    private static String method(AttentionKind kind) {
        return switch (kind) {
            case LEAP -> "leap";
            case COSFORMER -> "cosformer";
            case SOFTMAX -> "softmax";
            case RELU_LINEAR -> "relu";
        };
    }

    /** A number for JSON; NaN and infinities (not JSON) as null. */
    private static JsonElement number(double v) {
        return org.leapformer.model.Json.number(v);
    }

    /** Builder: {@code optX} for optional values. */
    public static final class Builder {
        private List<Integer> multiples = DEFAULT_MULTIPLES;
        private Form form = Form.CHUNKED;
        private int batchTokens = DEFAULT_BATCH_TOKENS;
        private Integer bucketLength;

        private Builder() {}

        /**
         * Multiples m of the training length (default 1, 4, 16): distinct, positive.
         *
         * @param multiples the multiples m
         * @return this builder
         */
        public Builder optMultiples(int... multiples) {
            Checks.require(multiples != null && multiples.length > 0, "multiples", "at least one m >= 1",
                    multiples == null ? "null" : "none");
            Set<Integer> seen = new LinkedHashSet<>();
            for (int m : multiples) {
                Checks.require(m >= 1, "multiple of the training length", "m >= 1", m);
                Checks.require(seen.add(m), "multiples", "distinct values", "" + m + " twice");
            }
            this.multiples = List.copyOf(seen);
            return this;
        }

        /**
         * CHUNKED (default) or QUADRATIC: one parallel pass per batch; RECURRENT: token by token.
         *
         * @param form the attention form
         * @return this builder
         */
        public Builder optForm(Form form) {
            Checks.require(form != null, "form", "QUADRATIC, CHUNKED or RECURRENT", "null");
            this.form = form;
            return this;
        }

        /**
         * Tokens per batch of windows (default 8192; at least one window per batch).
         *
         * @param batchTokens tokens per batch
         * @return this builder
         */
        public Builder optBatchTokens(int batchTokens) {
            Checks.require(batchTokens >= 1, "batch tokens", "at least 1", batchTokens);
            this.batchTokens = batchTokens;
            return this;
        }

        /**
         * Positions per bucket of the per-position loss (default: the training length T).
         *
         * @param bucketLength positions per bucket
         * @return this builder
         */
        public Builder optBucketLength(int bucketLength) {
            Checks.require(bucketLength >= 1, "bucket length", "at least 1", bucketLength);
            this.bucketLength = bucketLength;
            return this;
        }

        /**
         * Builds the evaluation.
         *
         * @return the evaluation with this builder's settings
         */
        public Extrapolation build() {
            return new Extrapolation(this);
        }
    }
}
