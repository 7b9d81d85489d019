package org.leapformer.train;

import ai.djl.ndarray.NDList;

/**
 * One batch: model inputs and labels, (B, ...) each. Classifier: inputs (ids (B, N)), labels
 * (classes (B)). Language model: inputs (ids (B, N)), labels (next ids (B, N), negative = ignored).
 *
 * @param inputs model inputs, batch first
 * @param labels targets, batch first
 */
public record TrainingBatch(NDList inputs, NDList labels) implements AutoCloseable {

    /** B. */
    public long size() {
        return inputs.get(0).getShape().get(0);
    }

    /** Number of input tokens, B·N (for throughput). */
    public long tokens() {
        return inputs.get(0).size();
    }

    @Override
    public void close() {
        inputs.close();
        labels.close();
    }
}
