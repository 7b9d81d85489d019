package org.leapformer.train;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Small synthetic tasks generated in the tests (the data package comes later). */
final class Synthetic {

    private Synthetic() {}

    /**
     * Classification: tokens 1..9, label 1 when token 5 occurs. The batch of a step depends only
     * on (seed, step).
     */
    static BatchSource containsFive(int batch, int length, long seed) {
        return (m, step) -> containsFiveBatch(m, batch, length, new SplittableRandom(seed * 1_000_003L + step));
    }

    static EvalSource containsFiveEval(int batches, int batch, int length, long seed) {
        return m -> {
            List<TrainingBatch> out = new ArrayList<>();
            SplittableRandom r = new SplittableRandom(seed);
            for (int i = 0; i < batches; i++) {
                out.add(containsFiveBatch(m, batch, length, r.split()));
            }
            return out;
        };
    }

    private static TrainingBatch containsFiveBatch(NDManager m, int batch, int length, SplittableRandom r) {
        long[] ids = new long[batch * length];
        long[] labels = new long[batch];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < length; i++) {
                long t = 1 + r.nextInt(9);
                ids[b * length + i] = t;
                if (t == 5) {
                    labels[b] = 1;
                }
            }
        }
        return new TrainingBatch(new NDList(m.create(ids, new Shape(batch, length))),
                new NDList(m.create(labels, new Shape(batch))));
    }

    /** Language modelling: each sequence counts up mod V from a random start; labels are the next ids. */
    static BatchSource counting(int batch, int length, int vocab, long seed) {
        return (m, step) -> {
            SplittableRandom r = new SplittableRandom(seed * 1_000_003L + step);
            long[] ids = new long[batch * length];
            long[] labels = new long[batch * length];
            for (int b = 0; b < batch; b++) {
                int start = r.nextInt(vocab);
                for (int i = 0; i < length; i++) {
                    ids[b * length + i] = (start + i) % vocab;
                    labels[b * length + i] = (start + i + 1) % vocab;
                }
            }
            return new TrainingBatch(new NDList(m.create(ids, new Shape(batch, length))),
                    new NDList(m.create(labels, new Shape(batch, length))));
        };
    }
}
