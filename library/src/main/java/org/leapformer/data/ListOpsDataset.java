package org.leapformer.data;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Record;
import ai.djl.util.Progress;
import java.util.List;

/**
 * ListOps examples as a DJL dataset for classification: record i is data
 * {@code [ids (N) int32, mask (N) int32]} and label {@code [target () int32]}, batched by DJL to
 * (B, N), (B, N) and (B). Sources are encoded by {@link ListOpsVocabulary}, padded or truncated to N.
 */
public final class ListOpsDataset extends RandomAccessDataset {

    private final List<ListOpsExample> examples;
    private final int length;

    private ListOpsDataset(Builder b) {
        super(b);
        this.examples = List.copyOf(b.examples);
        this.length = b.length;
    }

    /** A builder; set the examples, the length and a sampling. */
    public static Builder builder() {
        return new Builder();
    }

    /** N, the encoded length. */
    public int length() {
        return length;
    }

    @Override
    public Record get(NDManager manager, long index) {
        ListOpsExample x = examples.get(Math.toIntExact(index));
        ListOpsVocabulary.Encoded e = ListOpsVocabulary.encode(x.source(), length);
        return new Record(new NDList(manager.create(e.ids()), manager.create(e.mask())),
                new NDList(manager.create(x.target())));
    }

    @Override
    protected long availableSize() {
        return examples.size();
    }

    @Override
    public void prepare(Progress progress) {
        // the examples are in memory already
    }

    /** Builder: examples, length and a sampling ({@code setSampling} or {@code setSeededSampling}) are required. */
    public static final class Builder extends BaseBuilder<Builder> {
        private List<ListOpsExample> examples;
        private int length;

        private Builder() {}

        /** The examples (required), e.g. from {@link ListOps#generate} or {@link ListOpsTsv#read}. */
        public Builder setExamples(List<ListOpsExample> examples) {
            this.examples = examples;
            return this;
        }

        /** N, the length every source is padded or truncated to (required; LRA used 2000). */
        public Builder setLength(int length) {
            this.length = length;
            return this;
        }

        /** Batches of B examples, reshuffled reproducibly every epoch, the last smaller batch dropped. */
        public Builder setSeededSampling(int batchSize, long seed) {
            return setSampling(SeededSampler.batches(batchSize, seed));
        }

        @Override
        protected Builder self() {
            return this;
        }

        /** Validates and builds. */
        public ListOpsDataset build() {
            if (examples == null) {
                throw new IllegalArgumentException("examples: expected a list set with setExamples, found none");
            }
            if (length <= 0) {
                throw new IllegalArgumentException("length: expected a positive N set with setLength, found " + length);
            }
            if (sampler == null) {
                throw new IllegalArgumentException("sampling: expected setSampling or setSeededSampling, found none");
            }
            return new ListOpsDataset(this);
        }
    }
}
