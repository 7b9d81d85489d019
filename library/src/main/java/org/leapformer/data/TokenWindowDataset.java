package org.leapformer.data;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Record;
import ai.djl.util.Progress;

/**
 * {@link TokenWindows} as a DJL dataset for next-token prediction: record i is data
 * {@code [input (N) int32]} and label {@code [target (N) int32]}, batched by DJL to (B, N).
 *
 * <pre>{@code
 * TokenWindowDataset train = TokenWindowDataset.builder().setWindows(TokenWindows.of(ids, 128))
 *         .setSeededSampling(32, seed).build();
 * for (Batch b : trainer.iterateDataset(train)) { ... }
 * }</pre>
 */
public final class TokenWindowDataset extends RandomAccessDataset {

    private final TokenWindows windows;

    private TokenWindowDataset(Builder b) {
        super(b);
        this.windows = b.windows;
    }

    /** A builder; set the windows and a sampling. */
    public static Builder builder() {
        return new Builder();
    }

    /** The windows this dataset serves. */
    public TokenWindows windows() {
        return windows;
    }

    @Override
    public Record get(NDManager manager, long index) {
        int i = Math.toIntExact(index);
        return new Record(new NDList(manager.create(windows.input(i))), new NDList(manager.create(windows.target(i))));
    }

    @Override
    protected long availableSize() {
        return windows.size();
    }

    @Override
    public void prepare(Progress progress) {
        // the windows are in memory already
    }

    /** Builder: {@code setWindows} and a sampling ({@code setSampling} or {@code setSeededSampling}) are required. */
    public static final class Builder extends BaseBuilder<Builder> {
        private TokenWindows windows;

        private Builder() {}

        /** The windows to serve (required). */
        public Builder setWindows(TokenWindows windows) {
            this.windows = windows;
            return this;
        }

        /** Batches of B windows, reshuffled reproducibly every epoch, the last smaller batch dropped. */
        public Builder setSeededSampling(int batchSize, long seed) {
            return setSampling(SeededSampler.batches(batchSize, seed));
        }

        @Override
        protected Builder self() {
            return this;
        }

        /** Validates and builds. */
        public TokenWindowDataset build() {
            if (windows == null) {
                throw new IllegalArgumentException("windows: expected TokenWindows set with setWindows, found none");
            }
            if (sampler == null) {
                throw new IllegalArgumentException("sampling: expected setSampling or setSeededSampling, found none");
            }
            return new TokenWindowDataset(this);
        }
    }
}
