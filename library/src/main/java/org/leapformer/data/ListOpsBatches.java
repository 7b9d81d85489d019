package org.leapformer.data;

import java.util.ArrayList;
import java.util.List;

/**
 * ListOps examples as fixed-length (B, N) batches of ids and masks with their (B) labels, encoded
 * by {@link ListOpsVocabulary}. For DJL's training loop, see {@link ListOpsDataset}.
 */
public final class ListOpsBatches {

    private ListOpsBatches() {}

    /**
     * The examples in batches of {@code batchSize}, each source padded or truncated to {@code length}
     * ids; the last batch is smaller when B does not divide the example count.
     *
     * @param shuffle whether to visit examples in the order {@link SeededSampler#order} gives, else in order
     * @param seed the run's seed (ignored without shuffling)
     * @param epoch the epoch, for a new order each epoch (ignored without shuffling)
     */
    public static List<Batch> of(List<ListOpsExample> examples, int length, int batchSize, boolean shuffle,
            long seed, int epoch) {
        if (examples == null) {
            throw new IllegalArgumentException("examples: expected a list, found null");
        }
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size: expected a positive B, found " + batchSize);
        }
        int n = examples.size();
        int[] order = shuffle ? SeededSampler.order(n, seed, epoch) : TokenWindows.identity(n);
        List<Batch> out = new ArrayList<>((n + batchSize - 1) / batchSize);
        for (int start = 0; start < n; start += batchSize) {
            int b = Math.min(batchSize, n - start);
            int[][] ids = new int[b][];
            int[][] mask = new int[b][];
            int[] labels = new int[b];
            for (int r = 0; r < b; r++) {
                ListOpsExample x = examples.get(order[start + r]);
                ListOpsVocabulary.Encoded e = ListOpsVocabulary.encode(x.source(), length);
                ids[r] = e.ids();
                mask[r] = e.mask();
                labels[r] = x.target();
            }
            out.add(new Batch(ids, mask, labels));
        }
        return out;
    }

    /**
     * A batch of encoded examples.
     *
     * @param ids (B, N) token ids, {@link ListOpsVocabulary#PAD} after each source
     * @param mask (B, N) 1 on real tokens, 0 on padding
     * @param labels (B) target digits 0-9
     */
    public record Batch(int[][] ids, int[][] mask, int[] labels) {

        /** B, the number of examples. */
        public int batchSize() {
            return labels.length;
        }
    }
}
