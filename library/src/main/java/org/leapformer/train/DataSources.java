package org.leapformer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.leapformer.data.ListOpsExample;
import org.leapformer.data.ListOpsVocabulary;
import org.leapformer.data.MqarExample;
import org.leapformer.data.SeededSampler;
import org.leapformer.data.TokenWindows;
import org.leapformer.ops.Checks;

/**
 * The data package's examples as {@link BatchSource}s and {@link EvalSource}s. The {@code seed}
 * here is the data seed ({@link TrainingConfig#dataSeed()}), not the model's. The batch of a
 * training step depends only on (seed, step) — epoch = step / batches-per-epoch, a fresh seeded
 * order each epoch — so a resumed run sees exactly the batches an uninterrupted one would.
 */
public final class DataSources {

    private DataSources() {}

    /**
     * ListOps classification: inputs (B, N) token ids padded with {@link ListOpsVocabulary#PAD},
     * labels (B) the target digit.
     *
     * @param length N; longer sources are truncated (as LRA does)
     */
    public static BatchSource listOps(List<ListOpsExample> examples, int length, int batchSize, long seed) {
        Encoded data = encodeListOps(examples, length);
        return steps(data.count(), batchSize, seed, (m, rows) -> data.batch(m, rows));
    }

    /** ListOps evaluation over every example, in order. */
    public static EvalSource listOpsEval(List<ListOpsExample> examples, int length, int batchSize) {
        Encoded data = encodeListOps(examples, length);
        return inOrder(data.count(), batchSize, (m, rows) -> data.batch(m, rows));
    }

    /**
     * Next-token prediction over non-overlapping windows of a token stream: inputs (B, N), labels
     * (B, N) the inputs shifted by one.
     */
    public static BatchSource languageModel(int[] tokens, int length, int batchSize, long seed) {
        TokenWindows w = TokenWindows.of(tokens, length);
        return steps(w.size(), batchSize, seed, (m, rows) -> windows(m, w, rows));
    }

    /** Language-model evaluation over every window, in order. */
    public static EvalSource languageModelEval(int[] tokens, int length, int batchSize) {
        TokenWindows w = TokenWindows.of(tokens, length);
        return inOrder(w.size(), batchSize, (m, rows) -> windows(m, w, rows));
    }

    /**
     * Multi-query associative recall ({@link org.leapformer.data.Mqar}) for a causal language model:
     * inputs (B, N) the token ids, labels (B, N) the value at each query position and
     * {@link org.leapformer.data.Mqar#IGNORE} (negative, not scored) everywhere else, so
     * {@link Tasks#languageModel}'s loss and accuracy are over the queries alone.
     */
    public static BatchSource mqar(List<MqarExample> examples, int batchSize, long seed) {
        Recall data = encodeMqar(examples);
        return steps(data.count(), batchSize, seed, data::batch);
    }

    /** MQAR evaluation over every example, in order (batches as {@link #mqar}). */
    public static EvalSource mqarEval(List<MqarExample> examples, int batchSize) {
        Recall data = encodeMqar(examples);
        return inOrder(data.count(), batchSize, data::batch);
    }

    private record Recall(int[][] inputs, int[][] targets, int length) {
        int count() {
            return inputs.length;
        }

        TrainingBatch batch(NDManager m, int[] rows) {
            long[] in = new long[rows.length * length];
            long[] y = new long[rows.length * length];
            for (int r = 0; r < rows.length; r++) {
                for (int i = 0; i < length; i++) {
                    in[r * length + i] = inputs[rows[r]][i];
                    y[r * length + i] = targets[rows[r]][i];
                }
            }
            Shape shape = new Shape(rows.length, length);
            return new TrainingBatch(new NDList(owned(m, in, shape)), new NDList(owned(m, y, shape)));
        }
    }

    private static Recall encodeMqar(List<MqarExample> examples) {
        Checks.require(examples != null && !examples.isEmpty(), "MQAR examples", "at least one",
                examples == null ? "null" : "none");
        int n = examples.get(0).length();
        int[][] in = new int[examples.size()][];
        int[][] y = new int[examples.size()][];
        for (int i = 0; i < in.length; i++) {
            MqarExample e = examples.get(i);
            Checks.require(e.length() == n, "MQAR example " + i + " length", "N=" + n + " (the first example's)",
                    e.length());
            in[i] = e.inputs();
            y[i] = e.targets();
        }
        return new Recall(in, y, n);
    }

    /**
     * Translation batches, padded to the longest sentence of each batch: inputs (source ids (B, S),
     * source mask (B, S) float32 1/0, decoder input ids (B, T) = start token then the target
     * shifted right), labels (target ids (B, T) ending in the end token; −1 = padding, ignored).
     *
     * @param sources source ids of each sentence, ending in the end-of-source token
     * @param targets target ids of each sentence, ending in the end token
     * @param startId the decoder's first input (fairseq uses the end token)
     * @param padId the id padded positions carry
     */
    public static BatchSource translation(List<int[]> sources, List<int[]> targets, int startId, int padId,
            int batchSize, long seed) {
        checkPairs(sources, targets);
        return steps(sources.size(), batchSize, seed, (m, rows) -> pairs(m, sources, targets, startId, padId, rows));
    }

    /** Translation evaluation over every sentence, in order (batches as {@link #translation}). */
    public static EvalSource translationEval(List<int[]> sources, List<int[]> targets, int startId, int padId,
            int batchSize) {
        checkPairs(sources, targets);
        return inOrder(sources.size(), batchSize, (m, rows) -> pairs(m, sources, targets, startId, padId, rows));
    }

    private static void checkPairs(List<int[]> sources, List<int[]> targets) {
        Checks.require(sources.size() == targets.size(), "translation pairs", sources.size() + " targets, one per "
                + "source", targets.size());
        for (int i = 0; i < sources.size(); i++) {
            Checks.require(sources.get(i).length > 0 && targets.get(i).length > 0, "sentence pair " + i,
                    "a non-empty source and target", sources.get(i).length + " and " + targets.get(i).length
                            + " tokens");
        }
    }

    private static TrainingBatch pairs(NDManager m, List<int[]> sources, List<int[]> targets, int startId,
            int padId, int[] rows) {
        int s = 0;
        int t = 0;
        for (int r : rows) {
            s = Math.max(s, sources.get(r).length);
            t = Math.max(t, targets.get(r).length);
        }
        int b = rows.length;
        long[] src = new long[b * s];
        float[] mask = new float[b * s];
        long[] in = new long[b * t];
        long[] out = new long[b * t];
        java.util.Arrays.fill(src, padId);
        java.util.Arrays.fill(in, padId);
        java.util.Arrays.fill(out, -1);
        for (int i = 0; i < b; i++) {
            int[] x = sources.get(rows[i]);
            int[] y = targets.get(rows[i]);
            for (int j = 0; j < x.length; j++) {
                src[i * s + j] = x[j];
                mask[i * s + j] = 1f;
            }
            for (int j = 0; j < y.length; j++) {
                in[i * t + j] = j == 0 ? startId : y[j - 1];
                out[i * t + j] = y[j];
            }
        }
        NDArray maskArray;
        try (NDArray java = m.create(mask, new Shape(b, s))) {
            maskArray = java.duplicate();
        }
        return new TrainingBatch(new NDList(owned(m, src, new Shape(b, s)), maskArray, owned(m, in, new Shape(b, t))),
                new NDList(owned(m, out, new Shape(b, t))));
    }

    @FunctionalInterface
    private interface Rows {
        TrainingBatch batch(NDManager manager, int[] rows);
    }

    private static BatchSource steps(int count, int batchSize, long seed, Rows rows) {
        Checks.require(batchSize > 0, "batch size", "a positive B", batchSize);
        Checks.require(count >= batchSize, "training examples", "at least one batch of B=" + batchSize, count);
        int perEpoch = count / batchSize; // the incomplete last batch of an epoch is dropped
        return new BatchSource() {
            private int cachedEpoch = -1;
            private int[] order;

            @Override
            public long size() {
                return count;
            }

            @Override
            public synchronized TrainingBatch batch(NDManager manager, long step) {
                int epoch = Math.toIntExact(step / perEpoch);
                if (epoch != cachedEpoch) {
                    order = SeededSampler.order(count, seed, epoch);
                    cachedEpoch = epoch;
                }
                int start = (int) (step % perEpoch) * batchSize;
                int[] picked = new int[batchSize];
                System.arraycopy(order, start, picked, 0, batchSize);
                return rows.batch(manager, picked);
            }
        };
    }

    private static EvalSource inOrder(int count, int batchSize, Rows rows) {
        Checks.require(batchSize > 0, "batch size", "a positive B", batchSize);
        Checks.require(count > 0, "evaluation examples", "at least one", count);
        return new EvalSource() {
            @Override
            public Iterable<TrainingBatch> batches(NDManager manager) {
                List<TrainingBatch> out = new ArrayList<>();
                for (int start = 0; start < count; start += batchSize) {
                    int[] picked = new int[Math.min(batchSize, count - start)];
                    for (int i = 0; i < picked.length; i++) {
                        picked[i] = start + i;
                    }
                    out.add(rows.batch(manager, picked));
                }
                return out;
            }

            @Override
            public long size() {
                return count;
            }
        };
    }

    private static TrainingBatch windows(NDManager m, TokenWindows w, int[] rows) {
        int n = w.windowLength();
        long[] in = new long[rows.length * n];
        long[] target = new long[rows.length * n];
        for (int r = 0; r < rows.length; r++) {
            int[] x = w.input(rows[r]);
            int[] y = w.target(rows[r]);
            for (int i = 0; i < n; i++) {
                in[r * n + i] = x[i];
                target[r * n + i] = y[i];
            }
        }
        return new TrainingBatch(new NDList(owned(m, in, new Shape(rows.length, n))),
                new NDList(owned(m, target, new Shape(rows.length, n))));
    }

    private record Encoded(int[][] ids, int[] labels, int length) {
        int count() {
            return labels.length;
        }

        TrainingBatch batch(NDManager m, int[] rows) {
            long[] in = new long[rows.length * length];
            long[] y = new long[rows.length];
            for (int r = 0; r < rows.length; r++) {
                int[] x = ids[rows[r]];
                for (int i = 0; i < length; i++) {
                    in[r * length + i] = x[i];
                }
                y[r] = labels[rows[r]];
            }
            return new TrainingBatch(new NDList(owned(m, in, new Shape(rows.length, length))),
                    new NDList(owned(m, y, new Shape(rows.length))));
        }
    }

    private static Encoded encodeListOps(List<ListOpsExample> examples, int length) {
        Checks.require(length > 0, "sequence length", "a positive N", length);
        int[][] ids = new int[examples.size()][];
        int[] labels = new int[examples.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = ListOpsVocabulary.encode(examples.get(i).source(), length).ids();
            labels[i] = examples.get(i).target();
        }
        return new Encoded(ids, labels, length);
    }

    /** An int64 array whose memory libtorch owns (the embedding's backward keeps its indices). */
    private static NDArray owned(NDManager m, long[] data, Shape shape) {
        try (NDArray java = m.create(data, shape)) {
            return java.duplicate();
        }
    }

}
